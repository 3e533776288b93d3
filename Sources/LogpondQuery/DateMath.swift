import Foundation
import LogpondEngine

/// Elasticsearch date math: `now`, `now-15m/m`, `2018-02-04||+1d/d`, with an optional
/// `format` and `time_zone` for the anchor and for rounding. `roundUp` rounds `/unit` to the
/// unit's last millisecond (as `gt` and `lte` do).
enum DateMath {
    static func parse(_ s: String, roundUp: Bool, format: String? = nil, timeZone: String? = nil) -> Int64? {
        let offset = timeZone.flatMap(tzOffsetMillis) ?? 0
        var anchor: Int64
        var math: Substring
        if s.hasPrefix("now") {
            anchor = Int64(Date().timeIntervalSince1970 * 1000)
            math = s.dropFirst(3)
        } else if let sep = s.range(of: "||") {
            guard let a = parseAnchor(String(s[..<sep.lowerBound]), format: format, offsetMillis: offset) else { return nil }
            anchor = a
            math = s[sep.upperBound...]
        } else {
            guard let a = parseAnchor(s, format: format, offsetMillis: offset) else { return nil }
            anchor = a
            math = ""
        }
        var t = anchor
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
            let n = digits.isEmpty ? 1 : Int64(digits) ?? 1
            math = math.dropFirst(digits.count)
            guard let u = math.first else { return nil }
            math = math.dropFirst()
            guard let v = add(t, (c == "+" ? n : -n), unit: u, offset: offset) else { return nil }
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

    static func add(_ t: Int64, _ n: Int64, unit: Character, offset: Int64) -> Int64? {
        if let ms = unitMillis(unit) { return t + n * ms }
        guard unit == "M" || unit == "y" else { return nil }
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

    static func civil(_ days: Int64) -> (Int, Int, Int) {
        let iso = DateParser.format(millis: days * 86_400_000)
        let p = iso.prefix(10).split(separator: "-").compactMap { Int($0) }
        return (p[0], p[1], p[2])
    }
}
