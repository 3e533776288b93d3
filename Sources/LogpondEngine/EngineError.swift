/// Typed engine errors; each message says what happened and what to do. The HTTP layer maps
/// them to Elasticsearch error bodies.
public enum EngineError: Error, CustomStringConvertible, Sendable {
    case invalidIndexName(name: String, reason: String)
    case indexNotFound(String)
    case indexAlreadyExists(String)
    case documentParse(String)
    case mapperParsing(String)
    case illegalArgument(String)
    case versionConflict(index: String, id: String)
    case documentMissing(index: String, id: String)
    case corruptFile(path: String, reason: String)
    case io(path: String, reason: String)
    case catalog(String)
    case indexClosed(String)
    case tooLarge(String)
    case writeBlocked(String)
    case invalidTemplateName(String)
    case templateMissing(legacy: Bool, reason: String)

    public var description: String {
        switch self {
        case .invalidIndexName(let n, let r): return "Invalid index name [\(Self.clip(n))], \(r)"
        case .indexNotFound(let n): return "no such index [\(Self.clip(n))]"
        case .indexAlreadyExists(let n): return "index [\(Self.clip(n))] already exists"
        case .documentParse(let r): return "failed to parse: \(r)"
        case .mapperParsing(let r): return r
        case .illegalArgument(let r): return r
        case .versionConflict(let i, let id):
            return "[\(Self.clip(id))]: version conflict, document already exists in index [\(i)]; use the index action to replace it"
        case .documentMissing(let i, let id): return "[\(Self.clip(id))]: document missing in index [\(i)]"
        case .corruptFile(let p, let r):
            return "segment file \(p) is corrupt (\(r)); restore it from a backup or delete the index, the rest of the data is served"
        case .io(let p, let r): return "I/O error on \(p): \(r); check disk space and permissions of the data folder"
        case .catalog(let r): return "catalog error: \(r); check the data folder is writable and not used by another server"
        case .indexClosed: return "closed"
        case .tooLarge(let r): return r
        case .writeBlocked(let n): return "index [\(Self.clip(n))] blocked by: [FORBIDDEN/8/index write (api)]; remove index.blocks.write to write again"
        case .invalidTemplateName(let n): return "template name [\(Self.clip(n))] must not be empty and must not contain a space, ',' or '*'"
        case .templateMissing(_, let r): return r
        }
    }

    /// Clips user-provided text so no error echoes a payload in full.
    public static func clip(_ s: String, max: Int = 200) -> String {
        s.utf8.count <= max ? s : String(decoding: s.utf8.prefix(max), as: UTF8.self) + "..."
    }
}
