import CoreMetrics
import Foundation

/// A thread-safe least-recently-used map bounded by the bytes its values cost, behind the
/// process-wide caches (decoded stored blocks, decoded postings). A value over a quarter of
/// the capacity is not kept: it would push out most of what is there for one use.
final class ByteBoundedCache<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    /// A class, so that a hit updates its age in place.
    private final class Entry {
        let value: Value
        let cost: Int
        var tick: UInt64
        init(value: Value, cost: Int, tick: UInt64) { self.value = value; self.cost = cost; self.tick = tick }
    }
    private var items: [Key: Entry] = [:]
    private var tick: UInt64 = 0
    private var bytes = 0
    let capacity: Int
    /// `logpond_cache_requests_total{cache, result}`: hits and misses, for hit rates.
    private let hits: Counter, misses: Counter
    init(capacity: Int, name: String) {
        self.capacity = capacity
        hits = Counter(label: "logpond_cache_requests_total", dimensions: [("cache", name), ("result", "hit")])
        misses = Counter(label: "logpond_cache_requests_total", dimensions: [("cache", name), ("result", "miss")])
    }

    func get(_ k: Key) -> Value? {
        // A hit only stamps its entry: re-inserting the tuple rehashed the key and retained
        // the value again, a tenth of a small search's document fetch (issue 17).
        let found: Value? = lock.withLock {
            guard let hit = items[k] else { return nil }
            tick += 1
            hit.tick = tick
            return hit.value
        }
        if found == nil { misses.increment() } else { hits.increment() }
        return found
    }

    func put(_ k: Key, _ v: Value, cost: Int) {
        guard cost <= capacity / 4 else { return }
        lock.withLock {
            tick += 1
            if let old = items[k] { bytes -= old.cost }
            items[k] = Entry(value: v, cost: cost, tick: tick)
            bytes += cost
            guard bytes > capacity else { return }
            // Evict the older half by age: amortises the scan over many insertions.
            let ticks = items.values.map { $0.tick }.sorted()
            let cut = ticks[ticks.count / 2]
            for (key, e) in items where e.tick <= cut && key != k { bytes -= e.cost; items[key] = nil }
        }
    }

    /// Bytes held now.
    var bytesUsed: Int { lock.withLock { bytes } }

    /// Forgets the entries whose key matches (their segment was closed).
    func removeAll(where match: (Key) -> Bool) {
        lock.withLock { for (k, e) in items where match(k) { bytes -= e.cost; items[k] = nil } }
    }
}

/// Process-wide keys for cache owners (segments, term dictionaries): never reused, so a
/// closed owner's leftovers can never be mistaken for a new one's.
enum CacheKeys {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var last: UInt64 = 0
    static func next() -> UInt64 { lock.withLock { last += 1; return last } }
}
