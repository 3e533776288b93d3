import Foundation

/// Partial state of metric aggregations: enough for min/max/avg/sum/count/stats/extended_stats;
/// values are kept for percentiles, hashes for cardinality.
struct MetricState {
    var count = 0
    var sum = 0.0
    var min = Double.infinity
    var max = -Double.infinity
    var sumOfSquares = 0.0
    var values: [Double]? = nil
    var hashes: Set<UInt64>? = nil

    mutating func add(_ v: Double) {
        count += 1; sum += v; sumOfSquares += v * v
        if v < min { min = v }
        if v > max { max = v }
        values?.append(v)
    }

    func merged(_ o: MetricState) -> MetricState {
        var r = self
        r.count += o.count; r.sum += o.sum; r.sumOfSquares += o.sumOfSquares
        r.min = Swift.min(min, o.min); r.max = Swift.max(max, o.max)
        if let ov = o.values { r.values = (r.values ?? []) + ov }
        if let oh = o.hashes { r.hashes = (r.hashes ?? []).union(oh) }
        return r
    }

    /// Percentile with linear interpolation between closest ranks (what t-digest converges to).
    func percentile(_ p: Double) -> Double? {
        guard var v = values, !v.isEmpty else { return nil }
        v.sort()
        if v.count == 1 { return v[0] }
        let rank = p / 100 * Double(v.count - 1)
        let lo = Int(rank.rounded(.down)), hi = Swift.min(lo + 1, v.count - 1)
        return v[lo] + (v[hi] - v[lo]) * (rank - Double(lo))
    }

    /// Share of values at or below `x`, in percent.
    func rank(_ x: Double) -> Double? {
        guard let v = values, !v.isEmpty else { return nil }
        return Double(v.filter { $0 <= x }.count) / Double(v.count) * 100
    }
}

/// 64-bit hash of a value for cardinality (FNV-1a over its text), stable across segments.
func valueHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}
