import Foundation

/// Typed, range-checked reading of one request parameter (URL or body), with Elasticsearch's
/// error naming it. Every number a request brings goes through here once, where it is parsed,
/// so nothing later converts or adds an unchecked value (a trap would stop the whole server).
public enum Param {
    /// Largest integer a parameter may carry: whole numbers of a `Double` are exact below 2^53,
    /// so a bound check in `Double` and the conversion to `Int` can never trap.
    public static let maxInt = 1 << 52

    /// An integer in `min...max`; nil when absent (or JSON null). Strings holding a number and
    /// whole-valued floats are accepted as Elasticsearch coerces them; a fraction is truncated.
    public static func int(_ v: Any?, _ name: String, min: Int = 0, max: Int = maxInt) throws -> Int? {
        guard let d = try number(v, name) else { return nil }
        let t = d.rounded(.towardZero)
        guard t >= Double(min), t <= Double(max) else {
            throw QueryError.illegal("[\(name)] must be between [\(min)] and [\(max)], got [\(clipNumber(d))]")
        }
        return Int(t)
    }

    /// A finite number in `min...max`; nil when absent.
    public static func double(_ v: Any?, _ name: String, min: Double = -.greatestFiniteMagnitude, max: Double = .greatestFiniteMagnitude) throws -> Double? {
        guard let d = try number(v, name) else { return nil }
        guard d >= min, d <= max else { throw QueryError.illegal("[\(name)] must be between [\(min)] and [\(max)], got [\(clipNumber(d))]") }
        return d
    }

    /// A finite number from a JSON number or a string holding one; nil when absent or null.
    /// Whole numbers past 2^53 lose precision in Double; bound checks on it still hold.
    static func number(_ v: Any?, _ name: String) throws -> Double? {
        guard let v, !(v is NSNull) else { return nil }
        let d: Double
        switch v {
        case let n as NSNumber where !isBool(n): d = n.doubleValue
        case let s as String:
            guard let x = Double(s.trimmingCharacters(in: .whitespaces)) else {
                throw QueryError.illegal("[\(name)] failed to parse value [\(clip(s))] as a number")
            }
            d = x
        default:
            throw QueryError("x_content_parse_exception", "[\(name)] expected a number but found [\(kind(v))]")
        }
        guard d.isFinite else { throw QueryError.illegal("[\(name)] must be a finite number") }
        return d
    }

    /// A time value (`500ms`, `30s`, `1m`, `2h`, `1d`, also `nanos`/`micros`) in milliseconds;
    /// nil when malformed or beyond a year (no time value a request may give is longer).
    public static func durationMillis(_ s: String) -> Int? {
        let t = s.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("nanos", 1e-6), ("micros", 1e-3), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (u, m) in units where t.hasSuffix(u) {
            guard let v = Double(t.dropLast(u.count)), v.isFinite, v >= 0 else { return nil }
            let ms = v * m
            guard ms <= 366 * 86_400_000 else { return nil }
            return Int(ms)
        }
        if t == "-1" || t == "0" { return Int(t) }
        return nil
    }

    /// A boost: finite and not negative (Elasticsearch 7 refuses negative boosts).
    public static func boost(_ v: Any?, _ name: String = "boost") throws -> Float? {
        guard let d = try double(v, name) else { return nil }
        guard d >= 0 else { throw QueryError.illegal("negative [boost] are not allowed.") }
        return Float(Swift.min(d, Double(Float.greatestFiniteMagnitude)))
    }

    /// `true`/`false` (also as strings, as Elasticsearch's URL parameters are).
    public static func bool(_ v: Any?, _ name: String) throws -> Bool? {
        guard let v, !(v is NSNull) else { return nil }
        if let n = v as? NSNumber, isBool(n) { return n.boolValue }
        if let s = v as? String {
            if s == "true" || s.isEmpty { return true }
            if s == "false" { return false }
            throw QueryError.illegal("Failed to parse value [\(clip(s))] as only [true] or [false] are allowed.")
        }
        throw QueryError("x_content_parse_exception", "[\(name)] expected a boolean but found [\(kind(v))]")
    }

    /// A string, refusing other JSON types.
    public static func string(_ v: Any?, _ name: String) throws -> String? {
        guard let v, !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw QueryError("x_content_parse_exception", "[\(name)] expected a string but found [\(kind(v))]") }
        return s
    }

    /// An object, refusing other JSON types.
    public static func object(_ v: Any?, _ name: String) throws -> [String: Any]? {
        guard let v, !(v is NSNull) else { return nil }
        guard let o = v as? [String: Any] else { throw QueryError("x_content_parse_exception", "[\(name)] expected an object but found [\(kind(v))]") }
        return o
    }

    /// Refuses keys outside `allowed` with Elasticsearch's parsing error.
    public static func allow(_ d: [String: Any], _ allowed: Set<String>, in context: String) throws {
        if let k = d.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw QueryError.parsing("[\(context)] unknown field [\(clip(k))]")
        }
    }

    static func isBool(_ n: NSNumber) -> Bool {
        // JSONSerialization gives booleans as NSNumber with ObjC type "c" (char) on Linux too.
        let t = String(cString: n.objCType)
        return t == "c" || t == "B"
    }

    static func kind(_ v: Any) -> String {
        switch v {
        case is String: return "VALUE_STRING"
        case let n as NSNumber: return isBool(n) ? "VALUE_BOOLEAN" : "VALUE_NUMBER"
        case is [Any]: return "START_ARRAY"
        case is [String: Any]: return "START_OBJECT"
        default: return "VALUE_NULL"
        }
    }

    static func clip(_ s: String) -> String { s.count > 64 ? String(s.prefix(64)) + "…" : s }
    static func clipNumber(_ d: Double) -> String { abs(d) < 1e15 && d == d.rounded() ? String(Int64(d)) : String(d) }
}
