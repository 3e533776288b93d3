import Foundation

/// A date `format` of a mapping or query: built-in names and Java-style patterns joined by `||`.
/// Parses to (epoch seconds, nanoseconds) so `date` and `date_nanos` share it.
public struct DateFormats: Sendable {
    enum Piece: Sendable { case year, month, day, hour, minute, second, fraction(Int), offset, literal(UInt8) }
    enum Format: Sendable { case iso, epochMillis, epochSecond, pattern([Piece]) }
    let formats: [Format]

    /// The default for `date` and `date_nanos` fields.
    public static let standard = DateFormats(formats: [.iso, .epochMillis])

    static let named: [String: Format] = [
        "strict_date_optional_time": .iso, "date_optional_time": .iso, "strict_date_optional_time_nanos": .iso,
        "strict_date_time": .iso, "date_time": .iso, "strict_date": .iso, "date": .iso, "strict_date_hour_minute_second": .iso,
        "date_hour_minute_second": .iso, "strict_date_hour_minute_second_millis": .iso, "date_hour_minute_second_millis": .iso,
        "epoch_millis": .epochMillis, "epoch_second": .epochSecond,
        "basic_date": .pattern([.year, .month, .day]),
        "basic_date_time": .pattern(Self.pieces("yyyyMMdd'T'HHmmss.SSSZ")!),
        "basic_date_time_no_millis": .pattern(Self.pieces("yyyyMMdd'T'HHmmssZ")!),
    ]

    /// Compiles `yyyy-MM-dd||epoch_millis`-style formats; nil when a part is not understood.
    public static func compile(_ spec: String) -> DateFormats? {
        var out: [Format] = []
        for part in spec.components(separatedBy: "||") {
            let p = part.trimmingCharacters(in: .whitespaces)
            if let n = named[p] { out.append(n); continue }
            guard let pieces = pieces(p) else { return nil }
            out.append(.pattern(pieces))
        }
        return out.isEmpty ? nil : DateFormats(formats: out)
    }

    static func pieces(_ p: String) -> [Piece]? {
        var out: [Piece] = []
        let c = Array(p.utf8)
        var i = 0
        while i < c.count {
            let ch = c[i]
            var run = 1
            while i + run < c.count && c[i + run] == ch { run += 1 }
            switch ch {
            case UInt8(ascii: "y"), UInt8(ascii: "u"): guard run == 4 || run == 2 else { return nil }; out.append(.year)
            case UInt8(ascii: "M"): guard run == 2 else { return nil }; out.append(.month)
            case UInt8(ascii: "d"): guard run == 2 else { return nil }; out.append(.day)
            case UInt8(ascii: "H"): guard run == 2 else { return nil }; out.append(.hour)
            case UInt8(ascii: "m"): guard run == 2 else { return nil }; out.append(.minute)
            case UInt8(ascii: "s"): guard run == 2 else { return nil }; out.append(.second)
            case UInt8(ascii: "S"): out.append(.fraction(run))
            case UInt8(ascii: "Z"), UInt8(ascii: "X"), UInt8(ascii: "x"): out.append(.offset)
            case UInt8(ascii: "'"):
                guard let close = c[(i + 1)...].firstIndex(of: UInt8(ascii: "'")) else { return nil }
                for b in c[(i + 1)..<close] { out.append(.literal(b)) }
                i = close + 1
                continue
            default:
                if (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122) { return nil }   // unsupported letter
                for _ in 0..<run { out.append(.literal(ch)) }
            }
            i += run
        }
        return out
    }

    /// Parses a string value.
    public func parse(_ s: UnsafeBufferPointer<UInt8>) -> (seconds: Int64, nanos: Int64)? {
        for f in formats {
            switch f {
            case .iso: if let v = DateParser.parseISONanos(s) { return v }
            case .epochMillis:
                if let v = Self.integer(s) { return (Self.floorDiv(v, 1000), Self.floorMod(v, 1000) * 1_000_000) }
            case .epochSecond: if let v = Self.integer(s) { return (v, 0) }
            case .pattern(let p): if let v = Self.parse(s, p) { return v }
            }
        }
        return nil
    }

    public func parse(_ s: String) -> (seconds: Int64, nanos: Int64)? {
        var s = s
        return s.withUTF8 { parse($0) }
    }

    /// A JSON number: epoch millis unless only epoch_second is allowed.
    public func parse(number v: Double) -> (seconds: Int64, nanos: Int64)? {
        guard v.isFinite, abs(v) < 9e15 else { return nil }
        let secondsOnly = formats.contains { if case .epochSecond = $0 { return true }; return false }
            && !formats.contains { if case .epochMillis = $0 { return true }; return false }
        if secondsOnly { return (Int64(v.rounded(.down)), Int64((v - v.rounded(.down)) * 1e9)) }
        let ms = Int64(v.rounded(.down))
        return (Self.floorDiv(ms, 1000), Self.floorMod(ms, 1000) * 1_000_000)
    }

    /// Division rounding down, for a positive `b`; no negation, so Int64.min cannot overflow.
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a / b - (a % b < 0 ? 1 : 0) }
    public static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { let r = a % b; return r < 0 ? r + b : r }

    static func integer(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !s.isEmpty, s.count <= 19 else { return nil }
        var v: Int64 = 0
        var neg = false
        for (k, c) in s.enumerated() {
            if k == 0 && c == UInt8(ascii: "-") { neg = true; continue }
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int64(c - 48)
        }
        return neg ? -v : v
    }

    static func parse(_ s: UnsafeBufferPointer<UInt8>, _ pieces: [Piece]) -> (Int64, Int64)? {
        var i = 0
        var y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0
        var nanos: Int64 = 0, offset = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= s.count else { return nil }
            var v = 0
            for k in 0..<n { let c = s[i + k]; guard c >= 48 && c <= 57 else { return nil }; v = v * 10 + Int(c - 48) }
            i += n
            return v
        }
        for p in pieces {
            switch p {
            case .year: guard let v = digits(4) else { return nil }; y = v
            case .month: guard let v = digits(2), (1...12).contains(v) else { return nil }; mo = v
            case .day: guard let v = digits(2), v >= 1, v <= 31 else { return nil }; d = v
            case .hour: guard let v = digits(2), v < 24 else { return nil }; h = v
            case .minute: guard let v = digits(2), v < 60 else { return nil }; mi = v
            case .second: guard let v = digits(2), v < 60 else { return nil }; sec = v
            case .fraction(let n):
                guard let v = digits(n) else { return nil }
                var f = Int64(v)
                for _ in n..<9 { f *= 10 }
                nanos = f
            case .offset:
                guard i < s.count else { return nil }
                if s[i] == UInt8(ascii: "Z") { i += 1; continue }
                guard s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") else { return nil }
                let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                if i < s.count && s[i] == UInt8(ascii: ":") { i += 1 }
                let om = digits(2) ?? 0
                offset = sign * (oh * 3600 + om * 60)
            case .literal(let b):
                guard i < s.count, s[i] == b else { return nil }
                i += 1
            }
        }
        guard i == s.count, d <= DateParser.daysIn(month: mo, year: y) else { return nil }
        let days = Int64(DateParser.daysFromCivil(year: y, month: mo, day: d))
        return (days * 86400 + Int64(h * 3600 + mi * 60 + sec - offset), nanos)
    }
}
