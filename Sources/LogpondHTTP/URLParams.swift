/// URL parameters each API accepts, as Elasticsearch refuses the rest: a misspelt parameter
/// is a 400 naming it, never silently ignored.
enum URLParams {
    /// Accepted by every API (output formatting and tracing).
    static let common: Set<String> = ["pretty", "human", "error_trace", "filter_path", "format", "source", "source_content_type", "_"]
    static let search: Set<String> = common.union([
        "q", "df", "analyzer", "analyze_wildcard", "default_operator", "lenient", "from", "size", "sort", "_source",
        "_source_includes", "_source_excludes", "_source_include", "_source_exclude", "stored_fields", "docvalue_fields",
        "track_total_hits", "track_scores", "timeout", "terminate_after", "search_type", "request_cache", "routing",
        "preference", "allow_no_indices", "ignore_unavailable", "expand_wildcards", "ignore_throttled", "scroll",
        "typed_keys", "rest_total_hits_as_int", "batched_reduce_size", "max_concurrent_shard_requests",
        "pre_filter_shard_size", "allow_partial_search_results", "ccs_minimize_roundtrips", "explain", "version",
        "seq_no_primary_term", "suggest_field", "suggest_mode", "suggest_size", "suggest_text", "stats", "min_score", "type"])
    static let count: Set<String> = common.union([
        "q", "df", "analyzer", "analyze_wildcard", "default_operator", "lenient", "terminate_after", "min_score", "routing",
        "preference", "allow_no_indices", "ignore_unavailable", "expand_wildcards", "ignore_throttled"])

    static func check(_ params: [String: String], _ allowed: Set<String>, path: String) throws {
        if let k = params.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ESError(400, "illegal_argument_exception", "request [\(String(path.prefix(200)))] contains unrecognized parameter: [\(String(k.prefix(64)))]")
        }
    }

    /// `refresh`: empty or `true`, `false`, `wait_for`; anything else is refused (ES does).
    static func refresh(_ params: [String: String]) throws -> Bool {
        guard let r = params["refresh"] else { return false }
        switch r {
        case "", "true", "wait_for": return true
        case "false": return false
        default:
            throw ESError(400, "illegal_argument_exception", "Unknown value for refresh: [\(String(r.prefix(64)))]; use true, false or wait_for")
        }
    }
}
