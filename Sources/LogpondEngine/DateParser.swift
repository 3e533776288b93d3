import Foundation

/// Parses the date forms Elasticsearch accepts by default (`strict_date_optional_time` and
/// `epoch_millis`) into epoch milliseconds, without Foundation formatters on the hot path.
public enum DateParser {
    /// `yyyy-MM-dd['T'HH:mm[:ss[.fraction]]][Z|±HH:mm|±HHmm]` as epoch millis; nil when it is not such a date.
    public static func parseISO(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let (sec, nanos) = parseISONanos(s) else { return nil }
        return sec * 1000 + nanos / 1_000_000
    }

    /// The same, as epoch seconds and nanoseconds (for `date_nanos`).
    public static func parseISONanos(_ s: UnsafeBufferPointer<UInt8>) -> (seconds: Int64, nanos: Int64)? {
        let n = s.count
        guard n >= 10 else { return nil }
        var i = 0
        @inline(__always) func digits(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var v = 0
            for k in 0..<count {
                let c = s[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += count
            return v
        }
        @inline(__always) func expect(_ c: UInt8) -> Bool {
            guard i < n, s[i] == c else { return false }
            i += 1; return true
        }
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")), let day = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var hour = 0, minute = 0, second = 0
        var nanos = 0
        var offsetSeconds = 0
        if i < n {
            guard s[i] == UInt8(ascii: "T") else { return nil }
            i += 1
            guard let h = digits(2) else { return nil }
            hour = h
            if expect(UInt8(ascii: ":")) {
                guard let m = digits(2) else { return nil }
                minute = m
                if expect(UInt8(ascii: ":")) {
                    guard let sec = digits(2) else { return nil }
                    second = sec
                    if i < n && (s[i] == UInt8(ascii: ".") || s[i] == UInt8(ascii: ",")) {
                        i += 1
                        var count = 0
                        while i < n, s[i] >= 48, s[i] <= 57 {
                            if count < 9 { nanos = nanos * 10 + Int(s[i] - 48) }
                            count += 1; i += 1
                        }
                        guard count > 0 else { return nil }
                        if count < 9 { for _ in count..<9 { nanos *= 10 } }
                    }
                }
            }
            guard hour < 24, minute < 60, second < 60 else { return nil }
            if i < n {
                if s[i] == UInt8(ascii: "Z") { i += 1 }
                else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                    let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                    i += 1
                    guard let oh = digits(2) else { return nil }
                    var om = 0
                    if expect(UInt8(ascii: ":")) { guard let m = digits(2) else { return nil }; om = m }
                    else if i < n { guard let m = digits(2) else { return nil }; om = m }
                    offsetSeconds = sign * (oh * 3600 + om * 60)
                } else { return nil }
            }
            guard i == n else { return nil }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return (secs, Int64(nanos))
    }

    public static func parseISONanos(_ s: String) -> (seconds: Int64, nanos: Int64)? {
        var s = s
        return s.withUTF8 { parseISONanos($0) }
    }

    public static func parseISO(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { parseISO($0) }
    }

    /// Parses a date value given as a string: ISO first, then epoch millis digits.
    public static func parse(_ s: String) -> Int64? {
        if let v = parseISO(s) { return v }
        if let v = Int64(s) { return v }
        return nil
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's civil-from-days inverse).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Formats epoch millis as `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (Elasticsearch's default output).
    public static func format(millis: Int64) -> String {
        var out = [UInt8]()
        out.reserveCapacity(24)
        write(millis: millis, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `format(millis:)` appended to `out` (responses write it without a String in between).
    /// `quoted`: inside JSON quotes.
    public static func write(millis: Int64, into out: inout [UInt8], quoted: Bool = false) {
        // floorDiv and floorMod: `millis - 86_399_999` and `days * 86_400_000` overflowed for
        // the earliest Int64 values.
        var days = DateFormats.floorDiv(millis, 86_400_000)
        let msOfDay = DateFormats.floorMod(millis, 86_400_000)
        days += 719468
        let era = (days >= 0 ? days : days - 146096) / 146097
        let doe = days - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        var y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        if m <= 2 { y += 1 }
        let h = msOfDay / 3_600_000, mi = (msOfDay / 60_000) % 60, s = (msOfDay / 1000) % 60, ms = msOfDay % 1000
        if (0...9999).contains(y) {
            // Years of four digits, the case of every real timestamp: the 24 (26 quoted)
            // bytes are laid out on the stack and appended once, not byte by byte (each
            // append checks the array's uniqueness and capacity; a histogram writes thousands).
            var buf: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            let n = withUnsafeMutableBytes(of: &buf) { b -> Int in
                var i = 0
                @inline(__always) func put(_ c: UInt8) { b[i] = c; i &+= 1 }
                @inline(__always) func two(_ v: Int64) { put(48 &+ UInt8(truncatingIfNeeded: v / 10)); put(48 &+ UInt8(truncatingIfNeeded: v % 10)) }
                if quoted { put(34) }
                two(y / 100); two(y % 100); put(45); two(m); put(45); two(d); put(84)
                two(h); put(58); two(mi); put(58); two(s); put(46)
                put(48 &+ UInt8(truncatingIfNeeded: ms / 100)); two(ms % 100); put(90)
                if quoted { put(34) }
                return i
            }
            withUnsafeBytes(of: &buf) { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            return
        }
        if quoted { out.append(34) }
        defer { if quoted { out.append(34) } }
        // Digits written directly: String(format:) goes through CFString and dominated
        // rendering a histogram's 1,440 `key_as_string`s.
        func digits(_ v: Int64, _ width: Int) {
            if v < 0 { out.append(UInt8(ascii: "-")) }
            let a = v.magnitude
            var n = 1, scale: UInt64 = 1
            while a / scale >= 10 { scale *= 10; n += 1 }
            for _ in n..<max(n, width) { out.append(UInt8(ascii: "0")) }
            while scale > 0 { out.append(UInt8(ascii: "0") + UInt8(a / scale % 10)); scale /= 10 }
        }
        digits(y, 4); out.append(UInt8(ascii: "-")); digits(m, 2); out.append(UInt8(ascii: "-")); digits(d, 2)
        out.append(UInt8(ascii: "T")); digits(h, 2); out.append(UInt8(ascii: ":")); digits(mi, 2); out.append(UInt8(ascii: ":")); digits(s, 2)
        out.append(UInt8(ascii: ".")); digits(ms, 3); out.append(UInt8(ascii: "Z"))
    }
}
