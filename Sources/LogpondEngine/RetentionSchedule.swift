/// When the retention policies will delete an index: what the indices page shows beside it.
extension RetentionPlanner {
    /// The policy that deletes an index first, and from when (epoch ms: the first check after
    /// this deletes it, as `plan` ages an index past `maxAgeMillis`).
    public struct Scheduled: Sendable, Equatable {
        public var pattern: String
        public var maxAgeMillis: Int64
        public var source: RetentionPolicy.Source
        public var deleteAfter: Int64
    }

    /// The earliest age policy that applies to `c`; nil when none does (no policy matches the
    /// name, or the name holds no date the policy can read).
    public static func schedule(_ c: Candidate, config: RetentionConfig) -> Scheduled? {
        var best: Scheduled?
        for p in config.policies where Store.wildcardMatch(p.pattern, c.name) {
            guard let born = born(c, p) else { continue }
            // Saturating: a policy of a thousand years must not trap.
            let (at, overflow) = born.addingReportingOverflow(p.maxAgeMillis)
            let s = Scheduled(pattern: p.pattern, maxAgeMillis: p.maxAgeMillis, source: p.source, deleteAfter: overflow ? Int64.max : at)
            if best == nil || s.deleteAfter < best!.deleteAfter { best = s }
        }
        return best
    }

    /// Whether the total-size budget may delete `name` (it matches the budget's pattern).
    public static func underBudget(_ name: String, config: RetentionConfig) -> Bool {
        config.maxTotalBytes != nil && Store.wildcardMatch(config.budgetPattern, name)
    }
}
