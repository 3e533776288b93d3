import Foundation
import LogpondEngine

/// Parses query JSON into `Query`, with Elasticsearch's errors for what it does not know.
public enum QueryParser {
    public static func parse(_ any: Any?) throws -> Query {
        guard let obj = any as? [String: Any] else { throw QueryError.parsing("query malformed, must start with start_object") }
        guard obj.count == 1, let (name, body) = obj.first else {
            if obj.isEmpty { throw QueryError.parsing("query malformed, empty clause found") }
            throw QueryError.parsing("[\(obj.keys.sorted()[1])] malformed query, expected [END_OBJECT] but found [FIELD_NAME]")
        }
        switch name {
        case "match_all":
            let d = try object(name, body)
            try allow(name, d, ["boost", "_name"])
            return .matchAll(boost: try float(d["boost"]) ?? 1)
        case "match_none": return .matchNone
        case "term":
            let (field, v) = try fieldBody(name, body)
            if let d = v as? [String: Any] {
                try allow(name, d, ["value", "boost", "case_insensitive", "_name"])
                guard let value = JSONValue(d["value"]), value != .null else { throw QueryError.parsing("[term] query does not support [\(field)] without a value") }
                return .term(field: field, value: value, caseInsensitive: d["case_insensitive"] as? Bool ?? false, boost: try float(d["boost"]) ?? 1)
            }
            guard let value = JSONValue(v) else { throw QueryError.parsing("[term] query malformed, no start_object after query name") }
            return .term(field: field, value: value, caseInsensitive: false, boost: try fieldBoost(body))
        case "terms":
            let d = try object(name, body)
            let fields = d.filter { $0.key != "boost" && $0.key != "_name" }
            guard fields.count == 1, let (f, vals) = fields.first, let arr = vals as? [Any] else {
                throw QueryError.parsing("[terms] query requires exactly one field with an array of values")
            }
            if arr.count > Limits.maxTermsCount {
                throw QueryError.illegal("The number of terms [\(arr.count)] used in the Terms Query request has exceeded the allowed maximum of [\(Limits.maxTermsCount)]. This maximum can be set by changing the [index.max_terms_count] index level setting.")
            }
            return .terms(field: f, values: arr.compactMap { JSONValue($0) }, boost: try float(d["boost"]) ?? 1)
        case "match", "match_bool_prefix":
            let (field, v) = try fieldBody(name, body)
            let (d, text) = try textBody(name, field, v, ["query", "operator", "minimum_should_match", "zero_terms_query", "lenient", "analyzer",
                                                          "fuzziness", "boost", "_name", "prefix_length", "max_expansions", "fuzzy_transpositions",
                                                          "auto_generate_synonyms_phrase_query", "cutoff_frequency", "fuzzy_rewrite"])
            var m = MatchSpec(field: field, text: text)
            m.and = (d["operator"] as? String)?.lowercased() == "and"
            m.minimumShouldMatch = try MinimumShouldMatch.validate(d["minimum_should_match"])
            m.zeroTermsAll = (d["zero_terms_query"] as? String)?.lowercased() == "all"
            m.analyzer = d["analyzer"] as? String
            m.fuzziness = try Fuzziness.validate(d["fuzziness"])
            m.prefixLength = try Param.int(d["prefix_length"], "prefix_length", max: Int(Int32.max)) ?? 0
            m.maxExpansions = try Param.int(d["max_expansions"], "max_expansions", min: 1, max: Int(Int32.max)) ?? 50
            m.lenient = d["lenient"] as? Bool ?? false
            m.boost = try float(d["boost"]) ?? 1
            m.lastIsPrefix = name == "match_bool_prefix"
            return .match(m)
        case "match_phrase", "match_phrase_prefix":
            let (field, v) = try fieldBody(name, body)
            let (d, text) = try textBody(name, field, v, ["query", "slop", "analyzer", "boost", "_name", "max_expansions", "zero_terms_query"])
            var p = PhraseSpec(field: field, text: text)
            p.slop = try slop(d["slop"])
            p.analyzer = d["analyzer"] as? String
            p.maxExpansions = try Param.int(d["max_expansions"], "max_expansions", min: 1, max: Int(Int32.max)) ?? 50
            p.zeroTermsAll = (d["zero_terms_query"] as? String)?.lowercased() == "all"
            p.boost = try float(d["boost"]) ?? 1
            p.prefix = name == "match_phrase_prefix"
            return .phrase(p)
        case "range":
            let (field, v) = try fieldBody(name, body)
            guard let d = v as? [String: Any] else { throw QueryError.parsing("[range] query malformed, no start_object after query name") }
            var b = RangeBounds()
            var boost: Float = 1
            var includeLower = true, includeUpper = true
            for (k, x) in d {
                switch k {
                case "gt": b.gt = JSONValue(x)
                case "gte": b.gte = JSONValue(x)
                case "from": b.gte = JSONValue(x)
                case "lt": b.lt = JSONValue(x)
                case "lte", "to": b.lte = JSONValue(x)
                case "format": b.format = x as? String
                case "time_zone": b.timeZone = x as? String
                case "boost": boost = try Param.boost(x) ?? 1
                case "include_lower": includeLower = x as? Bool ?? true
                case "include_upper": includeUpper = x as? Bool ?? true
                case "relation", "_name": break
                default: throw QueryError.parsing("[range] query does not support [\(k)]")
                }
            }
            if b.gte == .null { b.gte = nil }; if b.lte == .null { b.lte = nil }; if b.gt == .null { b.gt = nil }; if b.lt == .null { b.lt = nil }
            if !includeLower, let g = b.gte { b.gt = g; b.gte = nil }
            if !includeUpper, let l = b.lte { b.lt = l; b.lte = nil }
            return .range(field: field, b, boost: boost)
        case "exists":
            let d = try object(name, body)
            guard let f = d["field"] as? String else { throw QueryError.parsing("[exists] must be provided with a [field]") }
            return .exists(field: f, boost: try float(d["boost"]) ?? 1)
        case "ids":
            let d = try object(name, body)
            guard let v = d["values"] as? [Any] else { throw QueryError.parsing("[ids] requires [values]") }
            return .ids(v.compactMap { JSONValue($0)?.stringValue }, boost: try float(d["boost"]) ?? 1)
        case "prefix", "wildcard", "regexp", "fuzzy":
            let (field, v) = try fieldBody(name, body)
            let kind: MultiTermSpec.Kind = name == "prefix" ? .prefix : name == "wildcard" ? .wildcard : name == "regexp" ? .regexp : .fuzzy
            var m = MultiTermSpec(kind: kind, field: field, value: "")
            if let d = v as? [String: Any] {
                try allow(name, d, ["value", "wildcard", "boost", "case_insensitive", "rewrite", "_name", "flags", "max_determinized_states",
                                    "fuzziness", "prefix_length", "max_expansions", "transpositions"])
                guard let val = JSONValue(d["value"] ?? d["wildcard"]) else { throw QueryError.parsing("[\(name)] requires a value") }
                m.value = val.stringValue
                m.caseInsensitive = d["case_insensitive"] as? Bool ?? false
                m.fuzziness = try Fuzziness.validate(d["fuzziness"])
                m.prefixLength = try Param.int(d["prefix_length"], "prefix_length", max: Int(Int32.max)) ?? 0
                m.maxExpansions = try Param.int(d["max_expansions"], "max_expansions", min: 1, max: Int(Int32.max)) ?? 50
                m.transpositions = d["transpositions"] as? Bool ?? true
                m.boost = try float(d["boost"]) ?? 1
            } else {
                guard let val = JSONValue(v) else { throw QueryError.parsing("[\(name)] query malformed") }
                m.value = val.stringValue
            }
            return .multiTerm(m)
        case "bool":
            let d = try object(name, body)
            func list(_ k: String) throws -> [Query] {
                switch d[k] {
                case nil: return []
                case let a as [Any]: return try a.map(parse)
                case let o as [String: Any]: return [try parse(o)]
                default: throw QueryError.parsing("[bool] query malformed, [\(k)] must be an object or an array")
                }
            }
            try allow(name, d, ["must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name", "adjust_pure_negative"])
            let q = Query.bool(must: try list("must"), filter: try list("filter"), should: try list("should"), mustNot: try list("must_not"),
                               minimumShouldMatch: try MinimumShouldMatch.validate(d["minimum_should_match"]), boost: try float(d["boost"]) ?? 1)
            if clauseCount(q) > Limits.maxClauseCount { throw QueryError("too_many_clauses", "maxClauseCount is set to \(Limits.maxClauseCount)") }
            return q
        case "constant_score":
            let d = try object(name, body)
            try allow(name, d, ["filter", "boost", "_name"])
            guard let f = d["filter"] else { throw QueryError.parsing("[constant_score] requires a 'filter' element") }
            return .constantScore(try parse(f), boost: try float(d["boost"]) ?? 1)
        case "dis_max":
            let d = try object(name, body)
            try allow(name, d, ["queries", "tie_breaker", "boost", "_name"])
            guard let qs = d["queries"] as? [Any], !qs.isEmpty else { throw QueryError.parsing("[dis_max] requires 'queries' field with at least one clause") }
            return .disMax(try qs.map(parse), tieBreaker: try float(d["tie_breaker"]) ?? 0, boost: try float(d["boost"]) ?? 1)
        case "boosting":
            let d = try object(name, body)
            try allow(name, d, ["positive", "negative", "negative_boost", "boost", "_name"])
            guard let p = d["positive"], let n = d["negative"] else { throw QueryError.parsing("[boosting] query requires 'positive' and 'negative' queries") }
            guard let nb = try float(d["negative_boost"]) else { throw QueryError.parsing("[boosting] query requires 'negative_boost' to be set to be a positive value'") }
            return .boosting(positive: try parse(p), negative: try parse(n), negativeBoost: nb)
        case "multi_match":
            let d = try object(name, body)
            try allow(name, d, ["query", "fields", "type", "operator", "minimum_should_match", "tie_breaker", "slop", "analyzer", "fuzziness", "lenient",
                                "boost", "_name", "zero_terms_query", "prefix_length", "max_expansions", "auto_generate_synonyms_phrase_query", "fuzzy_transpositions"])
            guard let q = JSONValue(d["query"]) else { throw QueryError.parsing("No text specified for multi_match query") }
            let fields = ((d["fields"] as? [Any])?.compactMap { $0 as? String } ?? (d["fields"] as? String).map { [$0] } ?? ["*"]).map(fieldWithBoost)
            var m = MultiMatchSpec(fields: fields, text: q.stringValue)
            if let t = d["type"] as? String {
                guard let k = MultiMatchSpec.Kind(rawValue: t) else { throw QueryError.parsing("[multi_match] query does not support type \(t)") }
                m.kind = k
            }
            m.and = (d["operator"] as? String)?.lowercased() == "and"
            m.minimumShouldMatch = try MinimumShouldMatch.validate(d["minimum_should_match"])
            m.tieBreaker = try float(d["tie_breaker"]) ?? (m.kind == .mostFields ? 1 : 0)
            m.slop = try slop(d["slop"])
            m.analyzer = d["analyzer"] as? String
            m.fuzziness = try Fuzziness.validate(d["fuzziness"])
            m.lenient = d["lenient"] as? Bool ?? false
            m.boost = try float(d["boost"]) ?? 1
            return .multiMatch(m)
        case "query_string", "simple_query_string":
            let d = try object(name, body)
            guard let q = d["query"] as? String else { throw QueryError.parsing("[\(name)] must be provided with a [query]") }
            let node = name == "query_string" ? try LuceneParser.parse(q) : SimpleQueryStringParser.parse(q, flags: d["flags"] as? String)
            var fields = ((d["fields"] as? [Any])?.compactMap { $0 as? String } ?? []).map(fieldWithBoost)
            if let df = d["default_field"] as? String { fields = [fieldWithBoost(df)] }
            var spec = QueryStringSpec(query: node, defaultFields: fields)
            spec.defaultAnd = (d["default_operator"] as? String)?.lowercased() == "and"
            spec.analyzeWildcard = d["analyze_wildcard"] as? Bool ?? false
            spec.lenient = d["lenient"] as? Bool ?? (name == "simple_query_string")
            spec.analyzer = d["analyzer"] as? String
            spec.boost = try float(d["boost"]) ?? 1
            return .queryString(spec)
        default:
            throw QueryError.parsing("unknown query [\(name)]")
        }
    }

    /// A full-text clause's `{"field": "text"}` or `{"field": {"query": "text", …options}}`:
    /// the options (empty for the short form) and the text.
    static func textBody(_ name: String, _ field: String, _ v: Any, _ allowed: Set<String>) throws -> ([String: Any], String) {
        if let d = v as? [String: Any] {
            try allow(name, d, allowed)
            guard let q = JSONValue(d["query"]) else { throw QueryError.parsing("[\(name)] requires query value") }
            return (d, q.stringValue)
        }
        guard let q = JSONValue(v) else { throw QueryError.parsing("[\(name)] unknown token after [\(field)]") }
        return ([:], q.stringValue)
    }

    static func object(_ name: String, _ body: Any) throws -> [String: Any] {
        guard let d = body as? [String: Any] else { throw QueryError.parsing("[\(name)] query malformed, no start_object after query name") }
        return d
    }

    static func allow(_ name: String, _ d: [String: Any], _ keys: Set<String>) throws {
        if let k = d.keys.first(where: { !keys.contains($0) }) { throw QueryError.parsing("[\(name)] query does not support [\(k)]") }
    }

    /// Boosts and tie breakers: finite, not negative (every caller reads `boost`-like values).
    static func float(_ v: Any?) throws -> Float? { try Param.boost(v) }

    static func slop(_ v: Any?) throws -> Int {
        guard let s = try Param.int(v, "slop", min: Int(Int32.min), max: Int(Int32.max)) else { return 0 }
        guard s >= 0 else { throw QueryError.illegal("No negative slop allowed.") }
        return s
    }

    static func fieldBoost(_ body: Any) throws -> Float { try float((body as? [String: Any])?["boost"]) ?? 1 }

    /// `f^2` → ("f", 2).
    public static func fieldWithBoost(_ s: String) -> (pattern: String, boost: Float) {
        if let c = s.lastIndex(of: "^"), let b = Float(s[s.index(after: c)...]) { return (String(s[..<c]), b) }
        return (s, 1)
    }

    /// `{"field": value-or-object}` with an optional `boost`/`_name` sibling ignored.
    static func fieldBody(_ name: String, _ body: Any) throws -> (String, Any) {
        guard let d = body as? [String: Any] else { throw QueryError.parsing("[\(name)] query malformed, no start_object after query name") }
        let fields = d.filter { $0.key != "boost" && $0.key != "_name" }
        guard fields.count == 1, let (f, v) = fields.first else {
            if fields.isEmpty { throw QueryError.parsing("[\(name)] query malformed, no field specified") }
            throw QueryError.parsing("[\(name)] query doesn't support multiple fields, found [\(fields.keys.sorted().joined(separator: "] and ["))]")
        }
        return (f, v)
    }

    static func clauseCount(_ q: Query) -> Int {
        switch q {
        case .bool(let a, let b, let c, let d, _, _): return (a + b + c + d).reduce(0) { $0 + clauseCount($1) }
        default: return 1
        }
    }
}
