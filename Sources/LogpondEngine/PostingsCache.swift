import Foundation

/// Big postings lists kept decoded across searches (all segments together): a common word's
/// list is a zstd frame, and decompressing it, decoding its doc ids and walking its positions
/// took most of a phrase query's time on every run of it (q4 of the benchmark: 26% in libzstd,
/// 26% walking positions, 11% decoding doc ids). Small lists are cheap to decode and not kept.
final class PostingsCache: @unchecked Sendable {
    static let shared = PostingsCache(capacity: Limits.postingsCacheBytes)
    private static let keyLock = NSLock()
    nonisolated(unsafe) private static var lastKey: UInt64 = 0
    static func newKey() -> UInt64 { keyLock.withLock { lastKey += 1; return lastKey } }

    /// One term's list as far as it has been decoded; immutable, replaced when more is known.
    final class Entry: @unchecked Sendable {
        /// The decompressed list (packed terms); nil when it is stored plain in the segment.
        let plain: [UInt8]?
        /// Doc ids, and where the per-document part (frequency, positions) starts.
        let docs: [Int32]?
        let positionsAt: Int
        /// Text fields: offset of each document's frequency varint, then one past the end.
        let docStarts: [Int32]?
        init(plain: [UInt8]?, docs: [Int32]?, positionsAt: Int, docStarts: [Int32]?) {
            self.plain = plain; self.docs = docs; self.positionsAt = positionsAt; self.docStarts = docStarts
        }
        var cost: Int { (plain?.count ?? 0) + 4 * (docs?.count ?? 0) + 4 * (docStarts?.count ?? 0) + 64 }
    }

    private struct Key: Hashable { var dict: UInt64; var ord: Int }
    private let lock = NSLock()
    private var items: [Key: (entry: Entry, tick: UInt64)] = [:]
    private var tick: UInt64 = 0
    private var bytes = 0
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }

    func get(dict: UInt64, ord: Int) -> Entry? {
        lock.withLock {
            let k = Key(dict: dict, ord: ord)
            guard let hit = items[k] else { return nil }
            tick += 1
            items[k] = (hit.entry, tick)
            return hit.entry
        }
    }

    func put(dict: UInt64, ord: Int, _ e: Entry) {
        guard e.cost <= capacity / 4 else { return }
        lock.withLock {
            tick += 1
            let k = Key(dict: dict, ord: ord)
            if let old = items[k] { bytes -= old.entry.cost }
            items[k] = (e, tick)
            bytes += e.cost
            guard bytes > capacity else { return }
            // Evict the older half by age: amortises the scan over many insertions.
            let ticks = items.values.map { $0.tick }.sorted()
            let cut = ticks[ticks.count / 2]
            for (key, v) in items where v.tick <= cut && key != k { bytes -= v.entry.cost; items[key] = nil }
        }
    }

    /// Bytes held now.
    var bytesUsed: Int { lock.withLock { bytes } }

    /// Forgets a dictionary's lists (its segment was closed).
    func drop(dict: UInt64) {
        lock.withLock { for (k, v) in items where k.dict == dict { bytes -= v.entry.cost; items[k] = nil } }
    }
}
