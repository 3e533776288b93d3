import Foundation

/// An index's settings JSON, read with Elasticsearch's key forms (`index.x.y`, `x.y`, nested).
public struct IndexSettings {
    public let raw: [String: Any]

    public init(json: String) {
        raw = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    }

    /// The value at a dotted key below `index`, in any of the accepted shapes.
    public func value(_ key: String) -> Any? {
        func lookup(_ obj: [String: Any], _ parts: ArraySlice<String>) -> Any? {
            guard let first = parts.first else { return obj }
            // Try the longest dotted prefix stored as one key, then descend.
            for n in stride(from: parts.count, through: 1, by: -1) {
                let k = parts.prefix(n).joined(separator: ".")
                if let v = obj[k] {
                    if n == parts.count { return v }
                    if let sub = v as? [String: Any], let r = lookup(sub, parts.dropFirst(n)) { return r }
                }
            }
            _ = first
            return nil
        }
        let parts = key.split(separator: ".").map(String.init)
        return lookup(raw, ["index"] + parts) ?? lookup(raw, parts[...])
    }

    public func int(_ key: String) -> Int? {
        switch value(key) {
        case let n as NSNumber: return n.intValue
        case let s as String: return Int(s)
        default: return nil
        }
    }

    public func string(_ key: String) -> String? { value(key).map { "\($0)" } }
}
