import Foundation
import LogpondEngine

/// Elasticsearch date math: `now`, `now-15m/m`, `2018-02-04||+1d/d`, with an optional
/// `format` and `time_zone` for the anchor and for rounding. `roundUp` rounds `/unit` to the
/// unit's last millisecond (as `gt` and `lte` do).
enum DateMath {
    /// Dates are kept within ±8.64e15 ms (±275,760 years, JavaScript's range): every sum and
    /// product of date math is checked against it, so a request's number cannot overflow.
    static let maxMillis: Double = 8.64e15
    static let maxMillisInt: Int64 = 8_640_000_000_000_000

    /// A number (a column value, a bound) as millis within the date range: non-finite values
    /// and values past it are clamped instead of trapping in `Int64(_:)`.
    static func clamp(_ d: Double) -> Int64 { d.isFinite ? Int64(Swift.max(Swift.min(d, maxMillis), -maxMillis)) : 0 }

    static func inRange(_ t: Int64) -> Bool { t >= -maxMillisInt && t <= maxMillisInt }

    /// Where `||` is in `s`: a byte scan (Foundation's `range(of:)` was 1.5% of a small
    /// search's server time, issue 17).
    static func doublePipe(_ s: String) -> Range<String.Index>? {
        let u = s.utf8
        var i = u.startIndex
        while i < u.endIndex {
            let j = u.index(after: i)
            if u[i] == UInt8(ascii: "|"), j < u.endIndex, u[j] == UInt8(ascii: "|") { return i..<u.index(after: j) }
            i = j
        }
        return nil
    }

    static func parse(_ s: String, roundUp: Bool, format: String? = nil, timeZone: String? = nil) -> Int64? {
        let offset = timeZone.flatMap(tzOffsetMillis) ?? 0
        var anchor: Int64
        var math: Substring
        if s.hasPrefix("now") {
            anchor = Int64(Date().timeIntervalSince1970 * 1000)
            math = s.dropFirst(3)
        } else if let sep = doublePipe(s) {
            guard let a = parseAnchor(String(s[..<sep.lowerBound]), format: format, offsetMillis: offset) else { return nil }
            anchor = a
            math = s[sep.upperBound...]
        } else {
            guard let a = parseAnchor(s, format: format, offsetMillis: offset) else { return nil }
            anchor = a
            math = ""
        }
        var t = anchor
        guard inRange(t) else { return nil }
        while let c = math.first {
            if c == "/" {
                guard let u = math.dropFirst().first else { return nil }
                t = round(t, unit: u, up: roundUp, offset: offset)
                math = math.dropFirst(2)
                continue
            }
            guard c == "+" || c == "-" else { return nil }
            math = math.dropFirst()
            let digits = math.prefix { $0.isNumber }
            guard digits.count <= 18, let n = digits.isEmpty ? 1 : Int64(digits) else { return nil }
            math = math.dropFirst(digits.count)
            guard let u = math.first else { return nil }
            math = math.dropFirst()
            guard let v = add(t, (c == "+" ? n : -n), unit: u, offset: offset), inRange(v) else { return nil }
            t = v
        }
        return t
    }

    /// Whether `s` ends in a zone offset, `+hh:mm` or `+hhmm` (either sign); checked by hand
    /// because a regular expression was compiled for every range bound of every segment.
    static func endsWithOffset(_ s: String) -> Bool {
        let u = Array(s.utf8.suffix(6))
        func digit(_ i: Int) -> Bool { i >= 0 && i < u.count && u[i] >= 48 && u[i] <= 57 }
        func sign(_ i: Int) -> Bool { i >= 0 && i < u.count && (u[i] == 43 || u[i] == 45) }
        let n = u.count
        if n >= 6, sign(n - 6), digit(n - 5), digit(n - 4), u[n - 3] == 58, digit(n - 2), digit(n - 1) { return true }
        if n >= 5, sign(n - 5), digit(n - 4), digit(n - 3), digit(n - 2), digit(n - 1) { return true }
        return false
    }

    static func parseAnchor(_ s: String, format: String?, offsetMillis: Int64) -> Int64? {
        let hasZone = s.hasSuffix("Z") || endsWithOffset(s)
        if let f = format.flatMap({ DateFormats.compile($0) }), let (sec, ns) = f.parse(s) {
            return sec * 1000 + ns / 1_000_000 - (hasZone ? 0 : offsetMillis)
        }
        if let v = DateParser.parseISO(s) { return v - (hasZone ? 0 : offsetMillis) }
        if let v = Int64(s) { return v }
        return nil
    }

    /// `+01:00`, `-0530`, `Z`, `UTC` or an IANA name (`Europe/Paris`, at the current offset).
    static func tzOffsetMillis(_ tz: String) -> Int64? {
        if tz == "Z" || tz.uppercased() == "UTC" { return 0 }
        if let r = tz.range(of: "^[+-]\\d{2}:?\\d{2}$", options: .regularExpression) {
            let t = tz[r].replacingOccurrences(of: ":", with: "")
            let sign: Int64 = t.hasPrefix("-") ? -1 : 1
            guard let h = Int64(t.dropFirst().prefix(2)), let m = Int64(t.suffix(2)) else { return nil }
            return sign * (h * 3600 + m * 60) * 1000
        }
        return TimeZone(identifier: tz).map { Int64($0.secondsFromGMT()) * 1000 }
    }

    static func unitMillis(_ u: Character) -> Int64? {
        switch u {
        case "s": return 1000
        case "m": return 60_000
        case "h", "H": return 3_600_000
        case "d": return 86_400_000
        case "w": return 7 * 86_400_000
        default: return nil
        }
    }

    /// `t` plus `n` units; nil when the result leaves the date range (never traps).
    static func add(_ t: Int64, _ n: Int64, unit: Character, offset: Int64) -> Int64? {
        guard inRange(t), abs(n) <= maxMillisInt else { return nil }
        if let ms = unitMillis(unit) {
            let (p, o1) = n.multipliedReportingOverflow(by: ms)
            let (s, o2) = t.addingReportingOverflow(p)
            return o1 || o2 || !inRange(s) ? nil : s
        }
        guard unit == "M" || unit == "y" else { return nil }
        // ±275,760 years is 3.3M months: a larger n leaves the range whatever t is.
        guard abs(n) <= 4_000_000 else { return nil }
        let local = t + offset
        let days = DateFormats.floorDiv(local, 86_400_000), msOfDay = local - days * 86_400_000
        var (y, m, d) = civil(days)
        let months = unit == "y" ? n * 12 : n
        let total = Int64(y) * 12 + Int64(m - 1) + months
        y = Int(DateFormats.floorDiv(total, 12)); m = Int(DateFormats.floorMod(total, 12)) + 1
        d = min(d, DateParser.daysIn(month: m, year: y))
        return Int64(DateParser.daysFromCivil(year: y, month: m, day: d)) * 86_400_000 + msOfDay - offset
    }

    static func round(_ t: Int64, unit: Character, up: Bool, offset: Int64) -> Int64 {
        let local = t + offset
        var start: Int64, next: Int64
        switch unit {
        case "M", "y":
            let days = DateFormats.floorDiv(local, 86_400_000)
            let (y, m, _) = civil(days)
            if unit == "y" {
                start = Int64(DateParser.daysFromCivil(year: y, month: 1, day: 1)) * 86_400_000
                next = Int64(DateParser.daysFromCivil(year: y + 1, month: 1, day: 1)) * 86_400_000
            } else {
                start = Int64(DateParser.daysFromCivil(year: y, month: m, day: 1)) * 86_400_000
                next = Int64(DateParser.daysFromCivil(year: m == 12 ? y + 1 : y, month: m == 12 ? 1 : m + 1, day: 1)) * 86_400_000
            }
        case "w":
            // ISO weeks start on Monday; 1970-01-01 was a Thursday.
            let days = DateFormats.floorDiv(local, 86_400_000)
            let monday = days - DateFormats.floorMod(days + 3, 7)
            start = monday * 86_400_000; next = start + 7 * 86_400_000
        default:
            let u = unitMillis(unit) ?? 1
            start = DateFormats.floorDiv(local, u) * u; next = start + u
        }
        return (up ? next - 1 : start) - offset
    }

    /// Year, month, day of a day number (days since 1970-01-01), for any day in the date
    /// range (Howard Hinnant's civil_from_days; no string round trip, no fixed columns).
    static func civil(_ days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }
}
