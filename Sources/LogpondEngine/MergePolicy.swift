/// The tiered merge policy: which segments of an index the background merges next.
enum MergePolicy {
    /// Positions (into `sizes`, bytes per segment) of the segments to merge now, or none:
    /// `Limits.mergeFactor` segments of about one size, the smallest such group first. "About
    /// one size" is within `Limits.mergeTierSpread` of the group's smallest, sizes below
    /// `Limits.mergeFloorBytes` counting as the floor. A merged segment is about mergeFactor
    /// times its inputs, so it waits for nine like it instead of being rewritten with every
    /// next group of small ones.
    static func tier(_ sizes: [Int]) -> [Int] {
        let limit = Int(Limits.maxMergedSegmentBytes) / Limits.mergeFactor
        let order = sizes.indices.filter { sizes[$0] < limit }.sorted { sizes[$0] < sizes[$1] }
        var start = 0
        while start + Limits.mergeFactor <= order.count {
            let ceiling = max(sizes[order[start]], Limits.mergeFloorBytes) * Limits.mergeTierSpread
            let group = order[start...].prefix { sizes[$0] <= ceiling }.prefix(Limits.mergeFactor)
            if group.count == Limits.mergeFactor && group.reduce(0, { $0 + sizes[$1] }) <= Int(Limits.maxMergedSegmentBytes) {
                return Array(group)
            }
            start += 1
        }
        return []
    }
}
