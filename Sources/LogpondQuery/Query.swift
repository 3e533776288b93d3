import Foundation
import LogpondEngine

/// A parsed query clause of the Elasticsearch query DSL.
public indirect enum Query: Sendable {
    case matchAll
    case matchNone
    case term(field: String, value: JSONValue, caseInsensitive: Bool)
    case terms(field: String, values: [JSONValue])
    case match(field: String, text: String, and: Bool)
    case range(field: String, RangeBounds)
    case exists(field: String)
    case ids([String])
    case bool(must: [Query], filter: [Query], should: [Query], mustNot: [Query], minimumShouldMatch: Int?)
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
}

/// Parses query JSON into `Query`, with Elasticsearch's errors for what it does not know.
public enum QueryParser {
    public static func parse(_ any: Any?) throws -> Query {
        guard let obj = any as? [String: Any] else { throw QueryError.parsing("query malformed, must start with start_object") }
        guard obj.count == 1, let (name, body) = obj.first else {
            throw QueryError.parsing(obj.isEmpty ? "query malformed, empty clause found" : "[\(obj.keys.sorted().first!)] malformed query, expected [END_OBJECT] but found [FIELD_NAME]")
        }
        switch name {
        case "match_all": return .matchAll
        case "match_none": return .matchNone
        case "term":
            let (field, v) = try fieldBody(name, body)
            if let d = v as? [String: Any] {
                guard let value = JSONValue(d["value"]) else { throw QueryError.parsing("[term] query does not support [\(field)] without a value") }
                return .term(field: field, value: value, caseInsensitive: d["case_insensitive"] as? Bool ?? false)
            }
            guard let value = JSONValue(v) else { throw QueryError.parsing("[term] query malformed, no start_object after query name") }
            return .term(field: field, value: value, caseInsensitive: false)
        case "terms":
            guard let d = body as? [String: Any] else { throw QueryError.parsing("[terms] query malformed") }
            let fields = d.filter { $0.key != "boost" }
            guard fields.count == 1, let (f, vals) = fields.first, let arr = vals as? [Any] else {
                throw QueryError.parsing("[terms] query requires exactly one field with an array of values")
            }
            return .terms(field: f, values: arr.compactMap { JSONValue($0) })
        case "match", "match_phrase":
            let (field, v) = try fieldBody(name, body)
            if let d = v as? [String: Any] {
                guard let q = JSONValue(d["query"]) else { throw QueryError.parsing("[\(name)] requires query value") }
                let op = (d["operator"] as? String)?.lowercased() ?? "or"
                return .match(field: field, text: q.stringValue, and: op == "and" || name == "match_phrase")
            }
            guard let q = JSONValue(v) else { throw QueryError.parsing("[\(name)] unknown token after [\(field)]") }
            return .match(field: field, text: q.stringValue, and: name == "match_phrase")
        case "range":
            let (field, v) = try fieldBody(name, body)
            guard let d = v as? [String: Any] else { throw QueryError.parsing("[range] query malformed, no start_object after query name") }
            var b = RangeBounds()
            for (k, x) in d {
                switch k {
                case "gt": b.gt = JSONValue(x)
                case "gte", "from": b.gte = JSONValue(x)
                case "lt": b.lt = JSONValue(x)
                case "lte", "to": b.lte = JSONValue(x)
                case "format": b.format = x as? String
                case "boost", "time_zone", "relation", "include_lower", "include_upper": break
                default: throw QueryError.parsing("[range] query does not support [\(k)]")
                }
            }
            return .range(field: field, b)
        case "exists":
            guard let d = body as? [String: Any], let f = d["field"] as? String else { throw QueryError.parsing("[exists] must be provided with a [field]") }
            return .exists(field: f)
        case "ids":
            guard let d = body as? [String: Any], let v = d["values"] as? [Any] else { throw QueryError.parsing("[ids] requires [values]") }
            return .ids(v.compactMap { JSONValue($0)?.stringValue })
        case "bool":
            guard let d = body as? [String: Any] else { throw QueryError.parsing("[bool] query malformed, no start_object after query name") }
            func list(_ k: String) throws -> [Query] {
                switch d[k] {
                case nil: return []
                case let a as [Any]: return try a.map(parse)
                case let o as [String: Any]: return [try parse(o)]
                default: throw QueryError.parsing("[bool] query malformed, [\(k)] must be an object or an array")
                }
            }
            for k in d.keys where !["must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name", "adjust_pure_negative"].contains(k) {
                throw QueryError.parsing("[bool] query does not support [\(k)]")
            }
            var msm: Int? = nil
            if let m = d["minimum_should_match"] { msm = (m as? Int) ?? Int("\(m)") }
            return .bool(must: try list("must"), filter: try list("filter"), should: try list("should"), mustNot: try list("must_not"), minimumShouldMatch: msm)
        default:
            throw QueryError.parsing("unknown query [\(name)]")
        }
    }

    /// `{"field": value-or-object}` with an optional `boost`/`_name` sibling ignored.
    static func fieldBody(_ name: String, _ body: Any) throws -> (String, Any) {
        guard let d = body as? [String: Any] else { throw QueryError.parsing("[\(name)] query malformed, no start_object after query name") }
        let fields = d.filter { $0.key != "boost" && $0.key != "_name" }
        guard fields.count == 1, let (f, v) = fields.first else {
            throw QueryError.parsing("[\(name)] query doesn't support multiple fields, found [\(fields.keys.sorted().joined(separator: "] and ["))]")
        }
        return (f, v)
    }
}
