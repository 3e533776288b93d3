import Foundation
import LogpondEngine

/// A parsed `_search` / `_count` request.
public struct SearchRequest: @unchecked Sendable {
    public struct SortKey: Sendable {
        public var field: String
        public var descending: Bool
        public var missingFirst: Bool? = nil
        public var format: String? = nil
    }
    public enum SourceFilter: Sendable { case all, none, filter(includes: [String], excludes: [String]) }
    /// A `fields` / `docvalue_fields` entry.
    public struct FieldRequest: Sendable { public var pattern: String; public var format: String? }

    public var query: Query = .matchAll(boost: 1)
    public var postFilter: Query? = nil
    public var from = 0
    public var size = 10
    public var sort: [SortKey] = []
    public var trackTotalHits: Int? = 10_000   // nil = exact (true)
    public var trackScores = false
    public var minScore: Float? = nil
    public var terminateAfter: Int? = nil
    public var source: SourceFilter = .all
    public var searchAfter: [JSONValue]? = nil
    public var fields: [FieldRequest] = []
    public var docvalueFields: [FieldRequest] = []
    public var highlight: HighlightSpec? = nil
    public var version = false
    public var seqNoPrimaryTerm = false
    /// The aggregations object as given.
    public var aggregations: [String: Any]? = nil

    public init() {}

    /// Parses a body (JSON object or nil) plus URL parameters.
    public static func parse(body: Any?, params: [String: String]) throws -> SearchRequest {
        var r = SearchRequest()
        if body != nil && !(body is [String: Any]) { throw QueryError.parsing("request body must be a JSON object") }
        let b = body as? [String: Any] ?? [:]
        let known: Set<String> = ["query", "from", "size", "sort", "track_total_hits", "_source", "aggs", "aggregations", "search_after",
                                  "highlight", "fields", "docvalue_fields", "stored_fields", "script_fields", "runtime_mappings", "version",
                                  "timeout", "terminate_after", "track_scores", "seq_no_primary_term", "explain", "min_score", "post_filter",
                                  "indices_boost", "collapse", "profile", "pit", "suggest", "ext", "rescore", "stats"]
        for k in b.keys where !known.contains(k) {
            throw QueryError.parsing("Unknown key for a \(b[k] is [String: Any] ? "START_OBJECT" : b[k] is [Any] ? "START_ARRAY" : "VALUE_STRING") in [\(k)].")
        }
        if let q = b["query"] { r.query = try QueryParser.parse(q) }
        if let q = params["q"] { r.query = try uriQuery(q, params) }
        if let pf = b["post_filter"] { r.postFilter = try QueryParser.parse(pf) }
        if let f = b["from"] ?? params["from"] { guard let v = intValue(f), v >= 0 else { throw QueryError.illegal("[from] parameter cannot be negative") }; r.from = v }
        if let s = b["size"] ?? params["size"] { guard let v = intValue(s), v >= 0 else { throw QueryError.illegal("[size] parameter cannot be negative") }; r.size = v }
        if r.from + r.size > Limits.maxResultWindow && params["scroll"] == nil {
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
        r.trackScores = b["track_scores"] as? Bool ?? false
        r.minScore = (b["min_score"] as? NSNumber)?.floatValue
        r.terminateAfter = (b["terminate_after"] ?? params["terminate_after"]).flatMap { intValue($0) }.flatMap { $0 > 0 ? $0 : nil }
        r.version = b["version"] as? Bool ?? (params["version"] == "true")
        r.seqNoPrimaryTerm = b["seq_no_primary_term"] as? Bool ?? false
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
        let inc = params["_source_includes"].map { $0.split(separator: ",").map(String.init) }
        let exc = params["_source_excludes"].map { $0.split(separator: ",").map(String.init) }
        if inc != nil || exc != nil { r.source = .filter(includes: inc ?? [], excludes: exc ?? []) }
        if (b["stored_fields"] as? String) == "_none_" || (b["stored_fields"] as? [Any])?.first as? String == "_none_" { r.source = .none }
        if let sa = b["search_after"] as? [Any] { r.searchAfter = sa.compactMap { JSONValue($0) } }
        r.fields = try fieldRequests(b["fields"], "fields")
        r.docvalueFields = try fieldRequests(b["docvalue_fields"], "docvalue_fields")
        if let h = b["highlight"] { r.highlight = try HighlightSpec.parse(h) }
        if let a = b["aggs"] ?? b["aggregations"] {
            guard let o = a as? [String: Any] else { throw QueryError.parsing("Expected [START_OBJECT] under [aggregations]") }
            r.aggregations = o
        }
        return r
    }

    /// The URI `q=` parameter: a Lucene query string with `df`, `default_operator`,
    /// `analyze_wildcard` and `lenient`.
    static func uriQuery(_ q: String, _ params: [String: String]) throws -> Query {
        var spec = QueryStringSpec(query: try LuceneParser.parse(q))
        if let df = params["df"] { spec.defaultFields = [(df, 1)] }
        spec.defaultAnd = params["default_operator"]?.uppercased() == "AND"
        spec.analyzeWildcard = params["analyze_wildcard"] == "true"
        spec.lenient = params["lenient"] == "true"
        return .queryString(spec)
    }

    static func fieldRequests(_ v: Any?, _ name: String) throws -> [FieldRequest] {
        guard let v else { return [] }
        guard let a = v as? [Any] else { throw QueryError.parsing("[\(name)] must be an array") }
        return try a.map {
            if let s = $0 as? String { return FieldRequest(pattern: s, format: nil) }
            if let o = $0 as? [String: Any], let f = o["field"] as? String { return FieldRequest(pattern: f, format: o["format"] as? String) }
            throw QueryError.parsing("[\(name)] entries must be field names or {\"field\": …} objects")
        }
    }

    static func intValue(_ v: Any) -> Int? {
        if let n = v as? NSNumber { return n.intValue }
        if let s = v as? String { return Int(s) }
        return nil
    }

    static func parseSort(_ v: Any) throws -> [SortKey] {
        func one(_ field: String, _ spec: Any?) throws -> SortKey {
            var k = SortKey(field: field, descending: field == "_score")
            switch spec {
            case let s as String: k.descending = s.lowercased() == "desc"
            case let o as [String: Any]:
                if let ord = o["order"] as? String {
                    guard ["asc", "desc"].contains(ord.lowercased()) else { throw QueryError.illegal("Unknown SortOrder [\(ord)]") }
                    k.descending = ord.lowercased() == "desc"
                }
                if let m = o["missing"] as? String { k.missingFirst = m == "_first" }
                k.format = o["format"] as? String
            case nil: break
            default: throw QueryError.parsing("[sort] option for [\(field)] must be a string or an object")
            }
            return k
        }
        switch v {
        case let s as String:
            let parts = s.split(separator: ":")
            guard let field = parts.first, !field.isEmpty else { throw QueryError.parsing("[sort] needs a field name") }
            return [try one(String(field), parts.count > 1 ? String(parts[1]) : nil)]
        case let a as [Any]: return try a.flatMap { try parseSort($0) }
        case let o as [String: Any]:
            // Foundation drops key order; `_doc` last keeps Grafana's intent (clients.md §6.2).
            return try o.keys.sorted { ($0 == "_doc" ? 1 : 0) < ($1 == "_doc" ? 1 : 0) }.map { try one($0, o[$0]) }
        default: throw QueryError.parsing("[sort] must be a string, an object or an array")
        }
    }
}
