import Foundation
import LogpondEngine

/// A parsed query clause of the Elasticsearch query DSL.
public indirect enum Query: Sendable {
    case matchAll(boost: Float)
    case matchNone
    case term(field: String, value: JSONValue, caseInsensitive: Bool, boost: Float)
    case terms(field: String, values: [JSONValue], boost: Float)
    case match(MatchSpec)
    case phrase(PhraseSpec)
    case range(field: String, RangeBounds, boost: Float)
    case exists(field: String, boost: Float)
    case ids([String], boost: Float)
    case multiTerm(MultiTermSpec)
    case bool(must: [Query], filter: [Query], should: [Query], mustNot: [Query], minimumShouldMatch: String?, boost: Float)
    case constantScore(Query, boost: Float)
    case disMax([Query], tieBreaker: Float, boost: Float)
    case boosting(positive: Query, negative: Query, negativeBoost: Float)
    case multiMatch(MultiMatchSpec)
    case queryString(QueryStringSpec)
}

/// `match` and `match_bool_prefix`.
public struct MatchSpec: Sendable {
    public var field: String
    public var text: String
    public var and = false
    public var minimumShouldMatch: String? = nil
    public var zeroTermsAll = false
    public var analyzer: String? = nil
    public var fuzziness: String? = nil
    public var prefixLength = 0
    public var maxExpansions = 50
    public var lenient = false
    /// match_bool_prefix: the last term matches as a prefix.
    public var lastIsPrefix = false
    public var boost: Float = 1
}

/// `match_phrase` and `match_phrase_prefix`.
public struct PhraseSpec: Sendable {
    public var field: String
    public var text: String
    public var slop = 0
    public var prefix = false
    public var maxExpansions = 50
    public var analyzer: String? = nil
    public var zeroTermsAll = false
    public var boost: Float = 1
}

/// Term-expanding queries: `prefix`, `wildcard`, `regexp`, `fuzzy`.
public struct MultiTermSpec: Sendable {
    public enum Kind: Sendable { case prefix, wildcard, regexp, fuzzy }
    public var kind: Kind
    public var field: String
    public var value: String
    public var caseInsensitive = false
    public var fuzziness: String? = nil
    public var prefixLength = 0
    public var maxExpansions = 50
    public var transpositions = true
    public var boost: Float = 1
}

/// `multi_match`.
public struct MultiMatchSpec: Sendable {
    public enum Kind: String, Sendable { case bestFields = "best_fields", mostFields = "most_fields", crossFields = "cross_fields", phrase, phrasePrefix = "phrase_prefix", boolPrefix = "bool_prefix" }
    public var fields: [(pattern: String, boost: Float)]
    public var text: String
    public var kind: Kind = .bestFields
    public var and = false
    public var minimumShouldMatch: String? = nil
    public var tieBreaker: Float = 0
    public var slop = 0
    public var analyzer: String? = nil
    public var fuzziness: String? = nil
    public var lenient = false
    public var boost: Float = 1
}

/// `query_string`, `simple_query_string` and the URI `q=`.
public struct QueryStringSpec: Sendable {
    public var query: LuceneNode
    public var defaultFields: [(pattern: String, boost: Float)] = []
    public var defaultAnd = false
    public var analyzeWildcard = false
    public var lenient = false
    public var analyzer: String? = nil
    public var boost: Float = 1
}

/// A scalar from a JSON body (query values, sort values, bounds).
public enum JSONValue: Sendable, Equatable {
    case string(String), int(Int64), double(Double), bool(Bool), null

    init?(_ any: Any?) {
        switch any {
        case let s as String: self = .string(s)
        case let n as NSNumber:
            let t = String(cString: n.objCType)
            if t == "c" || t == "B" { self = .bool(n.boolValue) }
            else if t == "d" || t == "f" { self = .double(n.doubleValue) }
            else { self = .int(n.int64Value) }
        case is NSNull: self = .null
        default: return nil
        }
    }

    var stringValue: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// Range bounds as given (strings or numbers), resolved per field type at execution.
public struct RangeBounds: Sendable {
    public var gt: JSONValue?, gte: JSONValue?, lt: JSONValue?, lte: JSONValue?
    public var format: String?
    public var timeZone: String?
    public init() {}
}
