import Foundation
import LogpondEngine

/// A parsed `_search` / `_count` request.
public struct SearchRequest: Sendable {
    public struct SortKey: Sendable { public var field: String; public var descending: Bool; public var missingFirst: Bool? }
    public enum SourceFilter: Sendable { case all, none, filter(includes: [String], excludes: [String]) }

    public var query: Query = .matchAll
    public var from = 0
    public var size = 10
    public var sort: [SortKey] = []
    public var trackTotalHits: Int? = 10_000   // nil = exact (true)
    public var source: SourceFilter = .all
    public var searchAfter: [JSONValue]? = nil

    public init() {}

    /// Parses a body (JSON object or nil) plus URL parameters.
    public static func parse(body: Any?, params: [String: String]) throws -> SearchRequest {
        var r = SearchRequest()
        let b = body as? [String: Any] ?? [:]
        if body != nil && !(body is [String: Any]) { throw QueryError.parsing("request body must be a JSON object") }
        let known: Set<String> = ["query", "from", "size", "sort", "track_total_hits", "_source", "aggs", "aggregations", "search_after",
                                  "highlight", "fields", "docvalue_fields", "stored_fields", "script_fields", "runtime_mappings", "version",
                                  "timeout", "terminate_after", "track_scores", "seq_no_primary_term", "explain", "min_score", "post_filter",
                                  "indices_boost", "collapse", "profile", "pit", "suggest", "ext", "rescore"]
        for k in b.keys where !known.contains(k) {
            throw QueryError.parsing("Unknown key for a START_OBJECT in [\(k)].")
        }
        if let q = b["query"] { r.query = try QueryParser.parse(q) }
        if let q = params["q"] { r.query = SimpleQueryString.parse(q) }
        if let f = b["from"] ?? params["from"] { guard let v = intValue(f), v >= 0 else { throw QueryError.illegal("[from] parameter cannot be negative") }; r.from = v }
        if let s = b["size"] ?? params["size"] { guard let v = intValue(s), v >= 0 else { throw QueryError.illegal("[size] parameter cannot be negative") }; r.size = v }
        if r.from + r.size > Limits.maxResultWindow {
            throw QueryError("illegal_argument_exception", "Result window is too large, from + size must be less than or equal to: [\(Limits.maxResultWindow)] but was [\(r.from + r.size)]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.")
        }
        if let s = b["sort"] { r.sort = try parseSort(s) } else if let s = params["sort"] { r.sort = try parseSort(s.split(separator: ",").map(String.init)) }
        let tth: Any? = b["track_total_hits"] ?? params["track_total_hits"].map { $0 as Any }
        switch tth {
        case nil: break
        case let n as NSNumber where String(cString: n.objCType) != "c": r.trackTotalHits = n.intValue
        case let n as NSNumber: r.trackTotalHits = n.boolValue ? nil : 0
        case let s as String: r.trackTotalHits = s == "true" ? nil : s == "false" ? 0 : Int(s) ?? 10_000
        default: break
        }
        switch b["_source"] {
        case nil: break
        case let n as NSNumber: r.source = n.boolValue ? .all : .none
        case let s as String: r.source = .filter(includes: [s], excludes: [])
        case let a as [Any]: r.source = .filter(includes: a.compactMap { $0 as? String }, excludes: [])
        case let o as [String: Any]:
            func list(_ v: Any?) -> [String] { (v as? [Any])?.compactMap { $0 as? String } ?? (v as? String).map { [$0] } ?? [] }
            r.source = .filter(includes: list(o["includes"] ?? o["include"]), excludes: list(o["excludes"] ?? o["exclude"]))
        default: break
        }
        if let p = params["_source"] { r.source = p == "false" ? .none : p == "true" ? .all : .filter(includes: p.split(separator: ",").map(String.init), excludes: []) }
        if let sa = b["search_after"] as? [Any] { r.searchAfter = sa.compactMap { JSONValue($0) } }
        return r
    }

    static func intValue(_ v: Any) -> Int? {
        if let n = v as? NSNumber { return n.intValue }
        if let s = v as? String { return Int(s) }
        return nil
    }

    static func parseSort(_ v: Any) throws -> [SortKey] {
        func one(_ field: String, _ spec: Any?) throws -> SortKey {
            var desc = field == "_score"
            var missingFirst: Bool? = nil
            switch spec {
            case let s as String: desc = s.lowercased() == "desc"
            case let o as [String: Any]:
                if let ord = o["order"] as? String { desc = ord.lowercased() == "desc" }
                if let m = o["missing"] as? String { missingFirst = m == "_first" }
            default: break
            }
            return SortKey(field: field, descending: desc, missingFirst: missingFirst)
        }
        switch v {
        case let s as String:
            let parts = s.split(separator: ":")
            return [try one(String(parts[0]), parts.count > 1 ? String(parts[1]) : nil)]
        case let a as [Any]: return try a.flatMap { try parseSort($0) }
        case let o as [String: Any]:
            // Keys in order of appearance are lost by Foundation; `_doc` last keeps Grafana's intent.
            return try o.keys.sorted { ($0 == "_doc" ? 1 : 0) < ($1 == "_doc" ? 1 : 0) }.map { try one($0, o[$0]) }
        default: throw QueryError.parsing("[sort] must be a string, an object or an array")
        }
    }
}

/// The `q=` URL parameter: `field:value` pairs and bare words (full Lucene syntax comes later).
enum SimpleQueryString {
    static func parse(_ q: String) -> Query {
        let parts = q.split(separator: " ").filter { $0 != "AND" }
        let clauses: [Query] = parts.map { p in
            if let c = p.firstIndex(of: ":") {
                let f = String(p[..<c]), v = String(p[p.index(after: c)...]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                if v == "*" { return .exists(field: f) }
                return .match(field: f, text: v, and: true)
            }
            return .bool(must: [], filter: [], should: [.match(field: "log", text: String(p), and: false), .match(field: "message", text: String(p), and: false)], mustNot: [], minimumShouldMatch: 1)
        }
        return clauses.count == 1 ? clauses[0] : .bool(must: clauses, filter: [], should: [], mustNot: [], minimumShouldMatch: nil)
    }
}
