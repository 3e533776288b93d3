import Foundation
import LogpondQuery
import LogpondEngine

/// `?filter_path=`: keeps only the listed paths of a response (`*` one level, `**` any depth,
/// `-path` excludes).
enum FilterPath {
    static func apply(_ bytes: [UInt8], _ spec: String) -> [UInt8] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) else { return bytes }
        let parts = spec.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let includes = parts.filter { !$0.hasPrefix("-") }.map { $0.split(separator: ".").map(String.init) }
        let excludes = parts.filter { $0.hasPrefix("-") }.map { $0.dropFirst().split(separator: ".").map(String.init) }
        var result: Any? = obj
        if !includes.isEmpty { result = include(obj, includes) }
        if let r = result, !excludes.isEmpty { result = exclude(r, excludes) }
        var w = JSONWriter()
        w.any(result ?? [String: Any]())
        return w.bytes
    }

    static func matches(_ pattern: String, _ key: String) -> Bool { pattern == "*" || pattern == "**" || Store.wildcardMatch(pattern, key) }

    static func include(_ v: Any, _ paths: [[String]]) -> Any? {
        if paths.contains(where: { $0.isEmpty }) { return v }
        if let a = v as? [Any] {
            let kept = a.compactMap { include($0, paths) }
            return kept.isEmpty ? nil : kept
        }
        guard let d = v as? [String: Any] else { return nil }
        var out: [String: Any] = [:]
        for (k, x) in d {
            var sub: [[String]] = []
            for p in paths where matches(p[0], k) {
                sub.append(Array(p.dropFirst()))
                if p[0] == "**" { sub.append(p) }
            }
            if !sub.isEmpty, let kept = include(x, sub) { out[k] = kept }
        }
        return out.isEmpty ? nil : out
    }

    static func exclude(_ v: Any, _ paths: [[String]]) -> Any {
        if let a = v as? [Any] { return a.map { exclude($0, paths) } }
        guard var d = v as? [String: Any] else { return v }
        for (k, x) in d {
            let hits = paths.filter { matches($0[0], k) }
            if hits.contains(where: { $0.count == 1 }) { d[k] = nil; continue }
            if !hits.isEmpty { d[k] = exclude(x, hits.map { Array($0.dropFirst()) }) }
        }
        return d
    }
}
