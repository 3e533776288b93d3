import LogpondEngine
import Foundation

/// Sorted doc-id lists and the set operations queries combine them with.
enum DocSets {
    static func intersect(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        // Very different sizes: gallop through the long list (log steps per short-list entry).
        if a.count * 16 < b.count { return gallop(a, b) }
        if b.count * 16 < a.count { return gallop(b, a) }
        var out: [Int32] = []; out.reserveCapacity(min(a.count, b.count))
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else { out.append(a[i]); i += 1; j += 1 }
        }
        return out
    }
    /// `short ∩ long` by exponential then binary search in `long`, both ascending.
    static func gallop(_ short: [Int32], _ long: [Int32]) -> [Int32] {
        var out: [Int32] = []; out.reserveCapacity(short.count)
        var lo = 0
        short.withUnsafeBufferPointer { s in
            long.withUnsafeBufferPointer { l in
                for v in s {
                    var step = 1, hi = lo
                    while hi < l.count && l[hi] < v { lo = hi + 1; hi += step; step <<= 1 }
                    lo = partitionPoint(lo, min(hi, l.count)) { l[$0] >= v }
                    if lo == l.count { break }
                    if l[lo] == v { out.append(v); lo += 1 }
                }
            }
        }
        return out
    }

    static func union(_ lists: [[Int32]]) -> [Int32] {
        if lists.count == 1 { return lists[0] }
        var all = lists.flatMap { $0 }
        all.sort()
        var out: [Int32] = []; out.reserveCapacity(all.count)
        for d in all where out.last != d { out.append(d) }
        return out
    }
    static func subtract(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        var out: [Int32] = []; out.reserveCapacity(a.count)
        var j = 0
        for d in a {
            while j < b.count && b[j] < d { j += 1 }
            if j < b.count && b[j] == d { continue }
            out.append(d)
        }
        return out
    }
    /// Docs matched by at least `k` of the lists.
    static func atLeast(_ k: Int, _ lists: [[Int32]]) -> [Int32] {
        if k <= 1 { return union(lists) }
        var counts: [Int32: Int] = [:]
        for l in lists { for d in l { counts[d, default: 0] += 1 } }
        return counts.filter { $0.value >= k }.map { $0.key }.sorted()
    }
    /// 0..<n. Big ones are shared (arrays are copy-on-write, nobody mutates them): a
    /// match_all aggregation over a large segment would otherwise build megabytes per search.
    static func all(_ n: Int) -> [Int32] {
        guard n >= 65_536 else { return (0..<Int32(n)).map { $0 } }
        if let hit = allCacheLock.withLock({ allCache.first { $0.count == n } }) { return hit }
        let fresh = (0..<Int32(n)).map { $0 }
        allCacheLock.withLock {
            allCache.removeAll { $0.count == n }
            allCache.insert(fresh, at: 0)
            if allCache.count > 4 { allCache.removeLast() }
        }
        return fresh
    }
    private static let allCacheLock = NSLock()
    nonisolated(unsafe) private static var allCache: [[Int32]] = []
}
