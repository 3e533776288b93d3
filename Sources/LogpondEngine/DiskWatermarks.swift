import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Elasticsearch's disk watermarks (`cluster.routing.allocation.disk.watermark.*`): each a
/// share of the disk used (`85%`, `0.85`) or the free space that must remain (`500mb`).
public struct DiskWatermarks: Sendable, Equatable {
    /// One watermark.
    public enum Threshold: Sendable, Equatable, CustomStringConvertible {
        case usedPercent(Double)
        case freeBytes(Int64)

        /// Whether `usage` is past this mark (strictly, as Elasticsearch compares).
        func exceeded(by usage: DiskUsage) -> Bool {
            switch self {
            case .usedPercent(let p): return usage.usedPercent > p
            case .freeBytes(let b): return usage.available < b
            }
        }

        public var description: String {
            switch self {
            case .usedPercent(let p): return p == p.rounded() ? "\(Int(p))%" : String(format: "%g%%", p)
            case .freeBytes(let b): return ByteSize.format(b)
            }
        }
    }

    public var low = Threshold.usedPercent(85)
    public var high = Threshold.usedPercent(90)
    public var floodStage = Threshold.usedPercent(95)
    /// `cluster.routing.allocation.disk.threshold_enabled`: false turns the checks off.
    public var enabled = true
    /// `cluster.info.update.interval`: how often the disk is looked at without a failed write.
    public var checkIntervalMillis: Int64 = 30_000
    public init() {}

    /// Parses one watermark: `85%`, `0.85` (a ratio) or a byte size (`500mb`, free space).
    public static func parse(_ s: String) -> Threshold? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%") {
            guard let p = Double(t.dropLast()), p.isFinite, p >= 0, p <= 100 else { return nil }
            return .usedPercent(p)
        }
        if let r = Double(t), r.isFinite, r >= 0, r <= 1, t.contains(".") || r == 0 || r == 1 { return .usedPercent(r * 100) }
        return ByteSize.parse(t).map { .freeBytes($0) }
    }

    /// Why these three cannot work together, or nil: Elasticsearch wants them all of one kind
    /// and in order (low ≤ high ≤ flood stage in use; free bytes low ≥ high ≥ flood stage).
    public func problem() -> String? {
        switch (low, high, floodStage) {
        case (.usedPercent(let l), .usedPercent(let h), .usedPercent(let f)):
            return l <= h && h <= f ? nil : "low [\(low)] must be <= high [\(high)] and high must be <= flood_stage [\(floodStage)]"
        case (.freeBytes(let l), .freeBytes(let h), .freeBytes(let f)):
            return l >= h && h >= f ? nil : "low [\(low)] free must be >= high [\(high)] free, and high >= flood_stage [\(floodStage)]"
        default:
            return "low [\(low)], high [\(high)] and flood_stage [\(floodStage)] must all be percentages (or ratios) or all byte sizes"
        }
    }

    /// The highest watermark `usage` is past.
    public func level(_ usage: DiskUsage) -> DiskLevel {
        guard enabled else { return .ok }
        if floodStage.exceeded(by: usage) { return .floodStage }
        if high.exceeded(by: usage) { return .high }
        if low.exceeded(by: usage) { return .low }
        return .ok
    }
}

/// Which watermark the disk is past.
public enum DiskLevel: Int, Sendable, Comparable, CustomStringConvertible {
    case ok, low, high, floodStage
    public static func < (a: DiskLevel, b: DiskLevel) -> Bool { a.rawValue < b.rawValue }
    public var description: String { ["below the watermarks", "low", "high", "flood_stage"][rawValue] }
}

/// Size and free space of the file system holding a path.
public struct DiskUsage: Sendable, Equatable {
    public var total: Int64
    /// Free to an unprivileged writer (`f_bavail`), as Elasticsearch reports `available`.
    public var available: Int64
    /// Free including root's reserved blocks (`f_bfree`).
    public var free: Int64
    public init(total: Int64, available: Int64, free: Int64) { self.total = total; self.available = available; self.free = free }

    public var used: Int64 { max(0, total - available) }
    public var usedPercent: Double { total > 0 ? Double(used) * 100 / Double(total) : 0 }

    /// `statvfs` of `path`; nil when the call fails (the path vanished).
    public static func of(_ path: String) -> DiskUsage? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        let unit = Int64(s.f_frsize > 0 ? s.f_frsize : s.f_bsize)
        // Multiplications stay in range: block counts × block size fit any real disk, and
        // the clamps keep a corrupt answer from trapping.
        func bytes(_ blocks: UInt) -> Int64 { let (r, o) = Int64(clamping: blocks).multipliedReportingOverflow(by: unit); return o ? Int64.max : r }
        return DiskUsage(total: bytes(UInt(s.f_blocks)), available: bytes(UInt(s.f_bavail)), free: bytes(UInt(s.f_bfree)))
    }

    /// The same disk with `bytes` more in use (the reserve counted as used while released).
    func using(_ bytes: Int64) -> DiskUsage {
        DiskUsage(total: total, available: max(0, available - bytes), free: max(0, free - bytes))
    }
}
