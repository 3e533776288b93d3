import Foundation

/// `_source` includes/excludes with wildcards, applied to the stored bytes of one hit.
enum SourceFilter {
    static func apply(_ source: [UInt8], includes: [String], excludes: [String]) -> [UInt8] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(source)) as? [String: Any] else { return source }
        let filtered = filter(obj, prefix: "", includes: includes, excludes: excludes)
        var w = JSONWriter()
        w.any(filtered)
        return w.bytes
    }

    static func filter(_ obj: [String: Any], prefix: String, includes: [String], excludes: [String]) -> [String: Any] {
        var out: [String: Any] = [:]
        for (k, v) in obj {
            let path = prefix.isEmpty ? k : prefix + "." + k
            if excludes.contains(where: { matches($0, path) }) { continue }
            if let sub = v as? [String: Any] {
                let included = includes.isEmpty || includes.contains { matches($0, path) }
                let child = filter(sub, prefix: path, includes: included ? [] : includes, excludes: excludes)
                if included || !child.isEmpty { out[k] = child }
            } else if includes.isEmpty || includes.contains(where: { matches($0, path) }) {
                out[k] = v
            }
        }
        return out
    }

    /// Glob match with `*`; a pattern naming an object also matches everything below it.
    static func matches(_ pattern: String, _ path: String) -> Bool {
        if glob(Array(pattern.utf8)[...], Array(path.utf8)[...]) { return true }
        return path.hasPrefix(pattern + ".")
    }

    static func glob(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        guard let f = p.first else { return s.isEmpty }
        if f == UInt8(ascii: "*") {
            var rest = s
            while true {
                if glob(p.dropFirst(), rest) { return true }
                if rest.isEmpty { return false }
                rest = rest.dropFirst()
            }
        }
        guard let c = s.first, c == f else { return false }
        return glob(p.dropFirst(), s.dropFirst())
    }
}
