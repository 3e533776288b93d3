import Foundation
/// Resolves an index expression (`a,b`, `logstash-*`, `_all`, `-excluded`) to indices.
extension Store {
    /// `expandWildcards` is Elasticsearch's `expand_wildcards` (`open`, `closed`, `all`):
    /// which states wildcards and `_all` reach; concrete names are always resolved.
    public func resolve(_ expression: String, ignoreUnavailable: Bool = false, allowNoIndices: Bool = true,
                        expandWildcards: Set<String> = ["open"]) throws -> [Index] {
        let states = expandWildcards.contains("all") ? ["open", "close"] : expandWildcards.map { $0 == "closed" ? "close" : $0 }
        let all = allIndices.filter { states.contains($0.currentState) }
        var picked: [String: Index] = [:]
        var order: [String] = []
        let parts = expression.split(separator: ",", omittingEmptySubsequences: true).map { String($0).trimmingCharacters(in: .whitespaces) }
        if parts.isEmpty || parts == ["_all"] || parts == ["*"] {
            return all
        }
        for p in parts {
            if p.hasPrefix("-") && !order.isEmpty {
                let pat = String(p.dropFirst())
                for n in order where Self.wildcardMatch(pat, n) { picked[n] = nil }
                order.removeAll { picked[$0] == nil }
                continue
            }
            if p == "_all" {
                for i in all where picked[i.name] == nil { picked[i.name] = i; order.append(i.name) }
            } else if p.utf8.contains(UInt8(ascii: "*")) {
                for i in all where Self.wildcardMatch(p, i.name) && picked[i.name] == nil { picked[i.name] = i; order.append(i.name) }
            } else if let i = index(named: p) {
                if picked[p] == nil { picked[p] = i; order.append(p) }
            } else if !ignoreUnavailable {
                throw EngineError.indexNotFound(p)
            }
        }
        if order.isEmpty && !allowNoIndices { throw EngineError.indexNotFound(expression) }
        return order.compactMap { picked[$0] }
    }

    /// `*` glob match used for index patterns.
    public static func wildcardMatch(_ pattern: String, _ s: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(s.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count && p[pi] == UInt8(ascii: "*") { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
