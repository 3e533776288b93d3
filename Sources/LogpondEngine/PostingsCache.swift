import Foundation

/// Big postings lists kept decoded across searches (all segments together): a common word's
/// list is a zstd frame, and decompressing it, decoding its doc ids and walking its positions
/// took most of a phrase query's time on every run of it (q4 of the benchmark: 26% in libzstd,
/// 26% walking positions, 11% decoding doc ids). Small lists are cheap to decode and not kept.
final class PostingsCache: @unchecked Sendable {
    static let shared = PostingsCache(capacity: Limits.postingsCacheBytes)
    static func newKey() -> UInt64 { CacheKeys.next() }

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
    private let lru: ByteBoundedCache<Key, Entry>
    init(capacity: Int) { lru = ByteBoundedCache(capacity: capacity, name: "postings") }

    func get(dict: UInt64, ord: Int) -> Entry? { lru.get(Key(dict: dict, ord: ord)) }
    func put(dict: UInt64, ord: Int, _ e: Entry) { lru.put(Key(dict: dict, ord: ord), e, cost: e.cost) }
    /// Bytes held now.
    var bytesUsed: Int { lru.bytesUsed }
    /// Forgets a dictionary's lists (its segment was closed).
    func drop(dict: UInt64) { lru.removeAll { $0.dict == dict } }
}
