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
    /// True once the client has gone away: the search stops at the next segment.
    public var cancelled: (@Sendable () -> Bool)? = nil
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
    /// `timeout`: collection stops once it has run this long (partial results, `timed_out`).
    public var timeoutMillis: Int? = nil
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
        // Bounded where parsed: from + size can neither overflow nor pass the result window
        // (a scroll pages through its own snapshot with `size` per page).
        if let f = try Param.int(b["from"] ?? params["from"], "from", max: Param.maxInt) { r.from = f }
        if let s = try Param.int(b["size"] ?? params["size"], "size", max: Param.maxInt) { r.size = s }
        if r.from + r.size > Limits.maxResultWindow && (params["scroll"] == nil || r.size > Limits.maxResultWindow) {
            throw QueryError("illegal_argument_exception", "Result window is too large, from + size must be less than or equal to: [\(Limits.maxResultWindow)] but was [\(r.from + r.size)]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.")
        }
        if let s = b["sort"] { r.sort = try parseSort(s) } else if let s = params["sort"] { r.sort = try parseSort(s.split(separator: ",").map(String.init)) }
        let tth: Any? = b["track_total_hits"] ?? params["track_total_hits"].map { $0 as Any }
        switch tth {
        case nil: break
        case let n as NSNumber where Param.isBool(n): r.trackTotalHits = n.boolValue ? nil : 0
        case let s as String where s == "true" || s == "false": r.trackTotalHits = s == "true" ? nil : 0
        default:
            let n = try Param.int(tth, "track_total_hits", min: -1, max: Int(Int32.max))
            r.trackTotalHits = n == -1 ? nil : n
        }
        r.trackScores = try Param.bool(b["track_scores"], "track_scores") ?? false
        r.minScore = try Param.double(b["min_score"], "min_score").map { Float(max(min($0, Double(Float.greatestFiniteMagnitude)), -Double(Float.greatestFiniteMagnitude))) }
        if let t = try Param.int(b["terminate_after"] ?? params["terminate_after"], "terminate_after") { r.terminateAfter = t > 0 ? t : nil }
        r.version = try Param.bool(b["version"] ?? params["version"], "version") ?? false
        r.seqNoPrimaryTerm = try Param.bool(b["seq_no_primary_term"] ?? params["seq_no_primary_term"], "seq_no_primary_term") ?? false
        if let t = b["timeout"] ?? params["timeout"] {
            guard let ts = t as? String, let ms = Param.durationMillis(ts) else {
                throw QueryError.parsing("failed to parse setting [timeout] with value [\(Param.clip("\(t)"))] as a time value: unit is missing or unrecognized")
            }
            r.timeoutMillis = ms
        }
        // Grafana sends an empty `script_fields`; a script to run is refused, never ignored.
        if let sf = b["script_fields"], !((sf as? [String: Any])?.isEmpty ?? false) {
            throw QueryError.illegal("[script_fields] is not supported: Logpond runs no scripts; use [fields] or [docvalue_fields]")
        }
        switch b["_source"] {
        case nil: break
        case let n as NSNumber where Param.isBool(n): r.source = n.boolValue ? .all : .none
        case let s as String: r.source = .filter(includes: [s], excludes: [])
        case let a as [Any]: r.source = .filter(includes: try strings(a, "_source"), excludes: [])
        case let o as [String: Any]:
            try Param.allow(o, ["includes", "include", "excludes", "exclude"], in: "_source")
            func list(_ v: Any?, _ name: String) throws -> [String] {
                switch v {
                case nil: return []
                case let s as String: return [s]
                case let a as [Any]: return try strings(a, name)
                default: throw QueryError.parsing("[_source] [\(name)] must be a string or an array of strings")
                }
            }
            r.source = .filter(includes: try list(o["includes"] ?? o["include"], "includes"), excludes: try list(o["excludes"] ?? o["exclude"], "excludes"))
        default: throw QueryError.parsing("[_source] must be a boolean, a string, an array or an object")
        }
        if let p = params["_source"] { r.source = p == "false" ? .none : p == "true" ? .all : .filter(includes: p.split(separator: ",").map(String.init), excludes: []) }
        let inc = params["_source_includes"].map { $0.split(separator: ",").map(String.init) }
        let exc = params["_source_excludes"].map { $0.split(separator: ",").map(String.init) }
        if inc != nil || exc != nil { r.source = .filter(includes: inc ?? [], excludes: exc ?? []) }
        if (b["stored_fields"] as? String) == "_none_" || (b["stored_fields"] as? [Any])?.first as? String == "_none_" { r.source = .none }
        if let sa = b["search_after"] {
            guard let a = sa as? [Any] else { throw QueryError.parsing("[search_after] must be an array") }
            r.searchAfter = try a.map {
                guard let v = JSONValue($0), !($0 is [Any]), !($0 is [String: Any]) else { throw QueryError.parsing("[search_after] values must be strings, numbers, booleans or null") }
                return v
            }
            if !r.sort.isEmpty && a.count != r.sort.count {
                throw QueryError.illegal("search_after has \(a.count) value(s) but sort has \(r.sort.count).")
            }
        }
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

    static func strings(_ a: [Any], _ name: String) throws -> [String] {
        try a.map { guard let s = $0 as? String else { throw QueryError.parsing("[\(name)] must hold strings") }; return s }
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
