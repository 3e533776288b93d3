import Foundation
import LogpondEngine

/// Date values in queries: ISO dates, epoch millis, and `now` with simple math (`now-15m`,
/// `now/d`); the full date-math grammar comes with the search issue.
enum DateMath {
    static func parse(_ s: String, roundUp: Bool) -> Int64? {
        if let v = DateParser.parseISO(s) { return v }
        if let v = Int64(s) { return v }
        guard s.hasPrefix("now") else { return nil }
        var t = Int64(Date().timeIntervalSince1970 * 1000)
        var rest = Substring(s.dropFirst(3))
        while let c = rest.first {
            if c == "/" {
                let unit = rest.dropFirst()
                guard let ms = unitMillis(String(unit)) else { return nil }
                t = (t / ms) * ms + (roundUp ? ms - 1 : 0)
                return t
            }
            guard c == "+" || c == "-" else { return nil }
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isNumber }
            guard let n = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let u = rest.first, let ms = unitMillis(String(u)) else { return nil }
            rest = rest.dropFirst()
            t += (c == "+" ? 1 : -1) * n * ms
        }
        return t
    }

    static func unitMillis(_ u: String) -> Int64? {
        switch u {
        case "s": return 1000
        case "m": return 60_000
        case "h", "H": return 3_600_000
        case "d": return 86_400_000
        case "w": return 7 * 86_400_000
        case "M": return 30 * 86_400_000
        case "y": return 365 * 86_400_000
        default: return nil
        }
    }
}
