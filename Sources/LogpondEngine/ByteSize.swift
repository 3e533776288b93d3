import Foundation

/// Byte sizes as Elasticsearch settings and messages write them (`500mb`, `1.5gb`).
public enum ByteSize {
    /// Parses `100mb`, `1gb`, `512kb`, `10b` or plain bytes; nil for anything else, negative
    /// values, or a product that overflows (a value nobody meant, refused at start).
    public static func parse(_ s: String) -> Int64? {
        let t = s.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Int64)] = [("tb", 1 << 40), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("b", 1)]
        for (u, m) in units where t.hasSuffix(u) {
            let number = t.dropLast(u.count).trimmingCharacters(in: .whitespaces)
            if let v = Int64(number), v >= 0 {
                let (r, o) = v.multipliedReportingOverflow(by: m)
                return o ? nil : r
            }
            // Fractions as Elasticsearch allows them (`1.5gb`), within Int64.
            guard let d = Double(number), d.isFinite, d >= 0, d * Double(m) < 9.0e18 else { return nil }
            return Int64(d * Double(m))
        }
        guard let v = Int64(t), v >= 0 else { return nil }
        return v
    }

    /// `1.5gb`, `512mb`, `10kb`, `7b`.
    public static func format(_ n: Int64) -> String {
        let units: [(Int64, String)] = [(1 << 40, "tb"), (1 << 30, "gb"), (1 << 20, "mb"), (1 << 10, "kb")]
        for (size, unit) in units where n >= size {
            let v = Double(n) / Double(size)
            return v == v.rounded() ? "\(Int64(v))\(unit)" : String(format: "%.1f", v) + unit
        }
        return "\(n)b"
    }
}
