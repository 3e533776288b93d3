import Foundation

/// The memory Logpond plans for (`logpond.memory.budget`): Elasticsearch sizes indexing
/// pressure and its breakers as shares of the heap; Logpond takes them of this budget.
public enum MemoryBudget {
    /// A quarter of the memory this process may use (the cgroup limit when one is set, else
    /// the machine's), kept between `Limits.memoryBudgetMinBytes` and `memoryBudgetMaxBytes`.
    public static var defaultBytes: Int64 {
        let quarter = available / 4
        return min(max(quarter, Limits.memoryBudgetMinBytes), Limits.memoryBudgetMaxBytes)
    }

    /// Physical memory, or the cgroup v2/v1 limit when it is lower.
    public static var available: Int64 {
        let physical = Int64(clamping: ProcessInfo.processInfo.physicalMemory)
        var limit = physical
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let s = try? String(contentsOfFile: path, encoding: .utf8),
               let v = Int64(s.trimmingCharacters(in: .whitespacesAndNewlines)), v > 0 {
                limit = min(limit, v)
            }
        }
        return limit
    }

    /// `share` of `budget`, for a default limit.
    public static func share(_ share: Double, of budget: Int64) -> Int64 {
        // A budget near Int64.max from the config times 1.0 rounds past it as a Double.
        let v = Double(budget) * share
        return v.isFinite && v > 0 ? Int64(min(v, 9.0e18)) : 0
    }

    /// Parses a memory setting: a byte size (`100mb`) or a percentage of `budget` (`10%`).
    public static func parse(_ s: String, budget: Int64) -> Int64? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%") {
            guard let p = Double(t.dropLast()), p.isFinite, p >= 0, p <= 100 else { return nil }
            return share(p / 100, of: budget)
        }
        return ByteSize.parse(t)
    }
}
