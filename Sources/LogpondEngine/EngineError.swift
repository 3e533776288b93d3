import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Typed engine errors; each message says what happened and what to do. The HTTP layer maps
/// them to Elasticsearch error bodies.
public enum EngineError: Error, CustomStringConvertible, Sendable {
    case invalidIndexName(name: String, reason: String)
    case invalidAliasName(name: String, reason: String)
    /// Aliases a remove named that do not exist.
    case aliasesMissing([String])
    case indexNotFound(String)
    /// A write to a missing index that `action.auto_create_index` does not let it create.
    case autoCreateRefused(index: String, why: String)
    case indexAlreadyExists(String)
    case documentParse(String)
    case mapperParsing(String)
    case illegalArgument(String)
    case versionConflict(index: String, id: String)
    /// A write's `if_seq_no` or external version did not hold.
    case conflict(index: String, id: String, detail: String)
    case documentMissing(index: String, id: String)
    case corruptFile(path: String, reason: String)
    case io(path: String, reason: String)
    case catalog(String)
    case indexClosed(String)
    case tooLarge(String)
    case writeBlocked(String, block: String, setting: String)
    case invalidTemplateName(String)
    case templateMissing(legacy: Bool, reason: String)
    /// The disk passed the flood-stage watermark: writes wait until space is freed.
    case floodStage(index: String)
    /// A write found no space left (ENOSPC, EDQUOT, SQLITE_FULL).
    case diskFull(path: String)
    /// Overload: indexing pressure, a full search queue or translog queue (429, retry later).
    case rejected(String)
    /// A request would take more memory than a circuit breaker allows (429).
    case circuitBreaking(breaker: String, wanted: Int64, limit: Int64, what: String)

    /// The error for a failed system call on `path`: a full disk is told apart because it is
    /// a state to wait out (429), not a fault.
    public static func io(path: String, errno e: Int32) -> EngineError {
        if e == ENOSPC || e == EDQUOT { return .diskFull(path: path) }
        return .io(path: path, reason: String(cString: strerror(e)))
    }

    /// Elasticsearch's reason text for the flood-stage block.
    public static let floodBlockReason = "TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block"

    public var description: String {
        switch self {
        case .invalidIndexName(let n, let r): return "Invalid index name [\(Self.clip(n))], \(r)"
        case .invalidAliasName(let n, let r): return "Invalid alias name [\(Self.clip(n))]: \(r)"
        case .aliasesMissing(let names): return "aliases [\(Self.clip(names.joined(separator: ",")))] missing"
        case .indexNotFound(let n): return "no such index [\(Self.clip(n))]"
        case .autoCreateRefused(let n, let why): return "no such index [\(Self.clip(n))] and \(why)"
        case .indexAlreadyExists(let n): return "index [\(Self.clip(n))] already exists"
        case .documentParse(let r): return "failed to parse: \(r)"
        case .mapperParsing(let r): return r
        case .illegalArgument(let r): return r
        case .conflict(_, let id, let detail): return "[\(Self.clip(id, max: 64))]: version conflict, \(detail)"
        case .versionConflict(let i, let id):
            return "[\(Self.clip(id))]: version conflict, document already exists in index [\(i)]; use the index action to replace it"
        case .documentMissing(let i, let id): return "[\(Self.clip(id))]: document missing in index [\(i)]"
        case .corruptFile(let p, let r):
            return "segment file \(p) is corrupt (\(r)); restore it from a backup or delete the index, the rest of the data is served"
        case .io(let p, let r): return "I/O error on \(p): \(r); check disk space and permissions of the data folder"
        case .catalog(let r): return "catalog error: \(r); check the data folder is writable and not used by another server"
        case .indexClosed: return "closed"
        case .tooLarge(let r): return r
        case .writeBlocked(let n, let block, let setting): return "index [\(Self.clip(n))] blocked by: [\(block)]; remove \(setting) to write again"
        case .invalidTemplateName(let n): return "template name [\(Self.clip(n))] must not be empty and must not contain a space, ',' or '*'"
        case .templateMissing(_, let r): return r
        case .floodStage(let n):
            return "index [\(Self.clip(n))] blocked by: [\(Self.floodBlockReason)];"
        case .diskFull(let p): return "no space left on the device holding \(p); writes are refused until space is freed (delete old indices), reads go on"
        case .rejected(let r): return r
        case .circuitBreaking(let b, let wanted, let limit, let what):
            return "[\(b)] Data too large, data for [\(Self.clip(what, max: 120))] would be [\(wanted)/\(ByteSize.format(wanted))], which is larger than the limit of [\(limit)/\(ByteSize.format(limit))]"
        }
    }

    /// Clips user-provided text so no error echoes a payload in full.
    public static func clip(_ s: String, max: Int = 200) -> String {
        s.utf8.count <= max ? s : String(decoding: s.utf8.prefix(max), as: UTF8.self) + "..."
    }
}

