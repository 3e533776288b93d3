import Foundation

/// `_source` includes/excludes with wildcards, applied to the stored bytes of one hit.
enum SourceFilter {
    static func apply(_ source: [UInt8], includes: [String], excludes: [String]) -> [UInt8] {
        if excludes.isEmpty, !includes.isEmpty, includes.allSatisfy({ !$0.contains(".") && !$0.contains("*") }),
           let fast = topLevel(source, includes: Set(includes.map { Array($0.utf8) })) { return fast }
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

    /// Includes that are all plain top-level names: the kept members are copied as they stand
    /// in the source, in its order, without parsing it into objects (a page of 100 hits spent
    /// most of its time in JSONSerialization). Nil, for the general path, when a key is escaped
    /// or dotted (a dotted key may fall under an include) or the source is not an object.
    static func topLevel(_ source: [UInt8], includes: Set<[UInt8]>) -> [UInt8]? {
        source.withUnsafeBufferPointer { b -> [UInt8]? in
            let n = b.count
            var i = 0
            func ws() { while i < n, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }
            func skipString() -> Bool {
                i += 1
                while i < n {
                    if b[i] == 0x5C { i += 2; continue }
                    if b[i] == 0x22 { i += 1; return true }
                    i += 1
                }
                return false
            }
            func skipValue() -> Bool {
                guard i < n else { return false }
                switch b[i] {
                case 0x22: return skipString()
                case 0x7B, 0x5B:
                    var depth = 0
                    while i < n {
                        switch b[i] {
                        case 0x22: if !skipString() { return false }; continue
                        case 0x7B, 0x5B: depth += 1
                        case 0x7D, 0x5D: depth -= 1; if depth == 0 { i += 1; return true }
                        default: break
                        }
                        i += 1
                    }
                    return false
                default:
                    while i < n, b[i] != 0x2C, b[i] != 0x7D, b[i] != 0x5D, b[i] > 0x20 { i += 1 }
                    return true
                }
            }
            var out: [UInt8] = [0x7B]
            ws()
            guard i < n, b[i] == 0x7B else { return nil }
            i += 1
            ws()
            if i < n, b[i] == 0x7D { return [0x7B, 0x7D] }
            while i < n {
                ws()
                guard i < n, b[i] == 0x22 else { return nil }
                let keyStart = i + 1
                guard skipString() else { return nil }
                let key = Array(b[keyStart..<(i - 1)])
                if key.contains(0x5C) || key.contains(0x2E) { return nil }
                ws()
                guard i < n, b[i] == 0x3A else { return nil }
                i += 1
                ws()
                let valueStart = i
                guard skipValue() else { return nil }
                if includes.contains(key) {
                    if out.count > 1 { out.append(0x2C) }
                    out.append(0x22); out.append(contentsOf: key); out.append(0x22); out.append(0x3A)
                    out.append(contentsOf: b[valueStart..<i])
                }
                ws()
                guard i < n else { return nil }
                if b[i] == 0x2C { i += 1; continue }
                if b[i] == 0x7D { out.append(0x7D); return out }
                return nil
            }
            return nil
        }
    }
}
