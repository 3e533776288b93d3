import Foundation

/// Every name the engine writes in the data folder, in one place.
public enum FileNames {
    /// SQLite catalog: indices, mappings, templates, segments, translog checkpoint.
    public static let catalog = "catalog.sqlite"
    /// The catalog's `meta` key holding persistent `_cluster/settings` (a flat JSON object).
    public static let clusterSettingsMetaKey = "cluster_settings"
    /// Folder of translog generation files.
    public static let translogDir = "translog"
    /// Folder with one sub-folder per index uuid holding its segment files.
    public static let indicesDir = "indices"
    /// A lock file held while a server owns the data folder, so two servers never share one.
    public static let lockFile = "node.lock"
    /// Filler of `Limits.diskReserveBytes` zeros, never read: deleted when the disk is full so
    /// deleting an index and starting up can still write (DiskMonitor), made again once usage
    /// is back below the high watermark.
    public static let diskReserve = "reserved-space.bin"

    /// Translog generation file name, zero-padded so listing order is generation order.
    public static func translog(generation: Int64) -> String {
        String(format: "translog-%012lld.tlog", generation)
    }
    /// A copy of a translog generation that held a damaged record, kept for the operator
    /// (trimming removes the generation itself once its operations are flushed).
    public static func translogDamagedCopy(generation: Int64) -> String {
        String(format: "damaged-translog-%012lld.tlog.bak", generation)
    }
    /// Parses a translog file name back to its generation.
    public static func translogGeneration(of name: String) -> Int64? {
        guard name.hasPrefix("translog-"), name.hasSuffix(".tlog") else { return nil }
        return Int64(name.dropFirst(9).dropLast(5))
    }
    /// Segment file name inside an index folder.
    public static func segment(id: Int64) -> String {
        String(format: "seg-%012lld.lps", id)
    }
    /// Temporary name a segment is written under before it is fsynced and renamed.
    public static func segmentTemp(id: Int64) -> String { segment(id: id) + ".tmp" }
}
