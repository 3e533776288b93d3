import Foundation
import LogpondEngine

/// A field's values in one segment: numbers from columns (dates in millis), strings from
/// keyword ordinals. Text fields are refused as Elasticsearch refuses them.
struct ValuesSource {
    let fm: FieldMapping?
    let numeric: NumericColumn?
    let ordinals: OrdinalColumn?
    let dict: TermDictionary?
    var isKeyword: Bool { ordinals != nil }
    var isDate: Bool { fm?.type.storage == .date }
    var nanos: Bool { fm?.type == .dateNanos }

    init(_ ctx: AggContext, _ field: String, _ node: AggNode) throws {
        fm = ctx.mapping.resolve(field)
        if let fm, fm.type.storage == .text, fm.fielddata {
            numeric = nil
            ordinals = try ctx.segment.fielddata(field)
            dict = ordinals != nil ? try ctx.segment.dictionary(field) : nil
            return
        }
        if let fm, fm.type.storage == .text {
            throw QueryError.illegal("Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [\(field)] in order to load field data by uninverting the inverted index. Note that this can use significant memory.")
        }
        numeric = try ctx.segment.numericColumn(field)
        ordinals = numeric == nil ? try ctx.segment.ordinalColumn(field) : nil
        dict = ordinals != nil ? try ctx.segment.dictionary(field) : nil
    }

    /// Numeric values of a doc (dates in epoch millis).
    func numbers(_ doc: Int) -> [Double] {
        if let c = numeric, c.has(doc) {
            if nanos { return [Double(DateFormats.floorDiv(c.value(doc), 1_000_000))] }
            return [c.double(doc)]
        }
        if let o = ordinals, let d = dict { return o.values(doc).compactMap { Double(d.termString(Int($0))) } }
        return []
    }

    func strings(_ doc: Int) -> [String] {
        if let o = ordinals, let d = dict {
            return o.values(doc).map { t in fm?.type == .ip ? IPAddress.format(term: d.termString(Int(t))) : d.termString(Int(t)) }
        }
        if let c = numeric, c.has(doc) {
            let v = c.double(doc)
            if fm?.type.storage == .boolean { return [v == 1 ? "true" : "false"] }
            return [v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)]
        }
        return []
    }

    /// Bucket keys of a doc for terms: strings for keywords, numbers otherwise.
    func keys(_ doc: Int) -> [AggKey] {
        if isKeyword { return strings(doc).map { .str($0) } }
        return numbers(doc).map { .num($0) }
    }

    func docsWithValue() -> [Int32] {
        var out: [Int32] = []
        let n = numeric?.docCount ?? ordinals?.docCount ?? 0
        for d in 0..<max(n, 0) {
            if let c = numeric { if c.has(d) { out.append(Int32(d)) } }
            else if let o = ordinals, !o.range(d).isEmpty { out.append(Int32(d)) }
        }
        return out
    }
}

/// A date_histogram / composite interval: fixed milliseconds or a calendar unit.
struct DateInterval {
    enum Unit { case fixed(Int64), month(Int), year }
    let unit: Unit
    let offsetMillis: Int64
    let tzMillis: Int64

    static func parse(_ body: [String: Any]) throws -> DateInterval {
        var tz: Int64 = 0
        if let z = body["time_zone"] {
            guard let s = z as? String, let v = DateMath.tzOffsetMillis(s) else { throw QueryError.illegal("unknown [time_zone] [\(Param.clip("\(z)"))]") }
            tz = v
        }
        var offset: Int64 = 0
        if let o = body["offset"] {
            if let s = o as? String {
                guard let v = signedDuration(s) else { throw QueryError.illegal("failed to parse [offset] [\(Param.clip(s))] as a time value of at most 100,000 days") }
                offset = v
            } else if let v = try Param.int(o, "offset", min: -maxIntervalMillis, max: maxIntervalMillis) { offset = Int64(v) }
        }
        if let c = body["calendar_interval"] as? String {
            guard let u = calendar(c) else { throw QueryError.illegal("The supplied interval [\(c)] could not be parsed as a calendar interval.") }
            return DateInterval(unit: u, offsetMillis: offset, tzMillis: tz)
        }
        if let f = body["fixed_interval"] as? String {
            guard let ms = fixed(f) else { throw QueryError.illegal("failed to parse setting [date_histogram.fixedInterval] with value [\(f)] as a time value: unit is missing or unrecognized") }
            return DateInterval(unit: .fixed(ms), offsetMillis: offset, tzMillis: tz)
        }
        if let i = body["interval"] as? String {
            if let u = calendar(i) { return DateInterval(unit: u, offsetMillis: offset, tzMillis: tz) }
            if let ms = fixed(i) { return DateInterval(unit: .fixed(ms), offsetMillis: offset, tzMillis: tz) }
        }
        if let n = body["interval"] as? NSNumber, let ms = try Param.int(n, "interval", min: 1, max: maxIntervalMillis) {
            return DateInterval(unit: .fixed(Int64(ms)), offsetMillis: offset, tzMillis: tz)
        }
        if body["interval"] != nil { throw QueryError.illegal("[interval] must be a positive time value such as 1h or 1d") }
        throw QueryError.illegal("Required one of fields [fixed_interval, calendar_interval, interval], but none were specified.")
    }

    static func calendar(_ s: String) -> Unit? {
        switch s {
        case "minute", "1m": return .fixed(60_000)
        case "hour", "1h": return .fixed(3_600_000)
        case "day", "1d": return .fixed(86_400_000)
        case "week", "1w": return .fixed(7 * 86_400_000)
        case "month", "1M": return .month(1)
        case "quarter", "1q": return .month(3)
        case "year", "1y": return .year
        default: return nil
        }
    }

    /// Longest fixed interval or offset: 100,000 days keeps every key computation far from
    /// overflow (dates stay within ±8.64e15 ms).
    static let maxIntervalMillis = 100_000 * 86_400_000

    static func fixed(_ s: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (u, m) in units where s.hasSuffix(u) {
            guard let v = Int64(s.dropLast(u.count)), v > 0, v <= Int64(maxIntervalMillis) / m else { return nil }
            return v * m
        }
        return nil
    }

    static func signedDuration(_ s: String) -> Int64? {
        var t = s
        var sign: Int64 = 1
        if t.hasPrefix("-") { sign = -1; t.removeFirst() } else if t.hasPrefix("+") { t.removeFirst() }
        return fixed(t).map { $0 * sign }
    }

    var isWeekAligned: Bool { if case .fixed(let ms) = unit { return ms == 7 * 86_400_000 }; return false }

    /// The bucket key (epoch millis of the bucket start) for a timestamp.
    func key(_ t: Int64) -> Int64 {
        let local = t + tzMillis - offsetMillis
        var start: Int64
        switch unit {
        case .fixed(let ms) where isWeekAligned:
            // Calendar weeks start on Monday.
            let days = DateFormats.floorDiv(local, 86_400_000)
            start = (days - DateFormats.floorMod(days + 3, 7)) * 86_400_000
            _ = ms
        case .fixed(let ms): start = DateFormats.floorDiv(local, ms) * ms
        case .month(let n):
            let (y, m, _) = DateMath.civil(DateFormats.floorDiv(local, 86_400_000))
            let m0 = ((m - 1) / n) * n + 1
            start = Int64(DateParser.daysFromCivil(year: y, month: m0, day: 1)) * 86_400_000
        case .year:
            let (y, _, _) = DateMath.civil(DateFormats.floorDiv(local, 86_400_000))
            start = Int64(DateParser.daysFromCivil(year: y, month: 1, day: 1)) * 86_400_000
        }
        return start - tzMillis + offsetMillis
    }

    /// The key after `k`.
    func next(_ k: Int64) -> Int64 {
        switch unit {
        case .fixed(let ms): return k + ms
        case .month(let n): return DateMath.add(k + 1, Int64(n), unit: "M", offset: tzMillis - offsetMillis).map { key($0) } ?? k + 1
        case .year: return DateMath.add(k + 1, 1, unit: "y", offset: tzMillis - offsetMillis).map { key($0) } ?? k + 1
        }
    }

    /// Roughly how many buckets span [lo, hi], to refuse exploding requests before running them.
    func estimate(_ lo: Int64, _ hi: Int64) -> Int64 {
        switch unit {
        case .fixed(let ms): return (hi - lo) / ms + 1
        case .month(let n): return (hi - lo) / (Int64(n) * 28 * 86_400_000) + 1
        case .year: return (hi - lo) / (365 * 86_400_000) + 1
        }
    }
}
