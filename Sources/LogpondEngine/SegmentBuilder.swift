import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Accumulates documents in memory (the write buffer) until they are sealed into a segment.
/// Not thread-safe: the owning index serialises access.
public final class SegmentBuilder {
    struct StoredDoc {
        var id: String
        var version: Int64
        var seq: Int64
        var source: [UInt8]
        var timestamp: Int64
    }

    /// One field's terms and values for the buffered documents. Term occurrences are appended
    /// to flat arrays (term id and doc id packed in one word) and grouped per term only when
    /// the segment is written, so indexing a token allocates nothing.
    final class FieldBuilder {
        let storage: FieldType.Storage
        var terms = TermHash()
        /// `termID << 32 | doc` per occurrence, in document order.
        let occurrences = ChunkedArray<UInt64>()
        /// Positions parallel to `occurrences` (text fields only).
        let positions = ChunkedArray<Int32>()
        var numerics: [(doc: Int32, value: Int64)] = []
        var docsWithField = 0
        var lastDoc: Int32 = -1
        /// Tokens per document (text fields), for BM25's length normalisation.
        var lengths: [(doc: Int32, length: Int32)] = []
        /// Where the next value of this field in document `nextPositionDoc` starts.
        var nextPositionDoc: Int32 = -1
        var nextPosition: Int32 = 0
        /// The object memo's recording that last touched this field (`ObjectMemo.touch`).
        var memoRecording: UInt64 = 0
        init(storage: FieldType.Storage) { self.storage = storage }

        var hasPositions: Bool { storage == .text }

        /// Adds `term`; returns its id in this buffer (the token cache keeps it).
        @discardableResult
        @inline(__always) func addTerm(_ term: UnsafeBufferPointer<UInt8>, doc: Int32, position: Int32) -> Int32 {
            let t = terms.intern(term)
            addInterned(t, doc: doc, position: position)
            return t
        }

        /// Adds an occurrence of the interned term `t` (a cached token skips the lookup).
        @inline(__always) func addInterned(_ t: Int32, doc: Int32, position: Int32) {
            markDoc(doc)
            occurrences.append(UInt64(UInt32(bitPattern: t)) << 32 | UInt64(UInt32(bitPattern: doc)))
            if hasPositions {
                positions.append(position)
                if lengths.last?.doc == doc { lengths[lengths.count - 1].length += 1 } else { lengths.append((doc, 1)) }
            }
        }

        /// Adds interned terms to `doc`, which has no value in this field yet (an object's
        /// replay): the same as adding them one by one, with one append per array.
        func addInterned(_ terms: UnsafeBufferPointer<Int32>, at places: UnsafeBufferPointer<Int32>, doc: Int32) {
            markDoc(doc)
            let d = UInt64(UInt32(bitPattern: doc))
            occurrences.append(terms.count) { UInt64(UInt32(bitPattern: terms[$0])) << 32 | d }
            if hasPositions {
                positions.append(places.count) { places[$0] }
                // One field's tokens of one document: a document is at most
                // `Limits.maxDocumentBytes` (64 MB), far from `Int32.max` tokens.
                lengths.append((doc, Int32(terms.count)))
            }
        }

        func addTerm(_ term: String, doc: Int32, position: Int32) {
            var s = term
            _ = s.withUTF8 { addTerm($0, doc: doc, position: position) }
        }

        func addNumeric(_ v: Int64, doc: Int32) {
            markDoc(doc)
            // Single-valued column: the last value wins (arrays and duplicate keys alike),
            // matching the rule for a doubled `@timestamp` (docs/es-compat.md).
            if numerics.last?.doc == doc { numerics[numerics.count - 1].value = v } else { numerics.append((doc, v)) }
        }

        @inline(__always) func markDoc(_ doc: Int32) {
            if lastDoc != doc { lastDoc = doc; docsWithField += 1 }
        }

        /// Text fields: the analyzed tokens of recent values, so a value seen again in this
        /// buffer (a pod's labels and annotations ride on every one of its records) adds its
        /// interned terms without being tokenized and hashed again. A field whose values do
        /// not repeat (unique messages) stops caching after `Limits.tokenCacheProbe` lookups.
        var tokenCache = TokenCache()
    }

    /// A text field's cache of analyzed values (see `FieldBuilder.tokenCache`).
    struct TokenCache {
        struct Value {
            let bytes: [UInt8]
            /// Term id and position (from 0) of each token, in order.
            let tokens: [(term: Int32, position: Int32)]
        }
        private var byHash: [UInt64: Value] = [:]
        private var lookups = 0
        /// Lookups that found the value (tests).
        private(set) var hits = 0
        private var bytes = 0
        /// Off for this buffer once values have proved not to repeat.
        private(set) var enabled = true

        /// The cached tokens of `value`, counting the lookup.
        mutating func lookup(_ value: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Value? {
            lookups += 1
            if let v = byHash[h], v.bytes.count == value.count,
               v.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, value.baseAddress!, value.count) == 0 }) {
                hits += 1
                return v
            }
            if lookups == Limits.tokenCacheProbe && hits * 4 < lookups { enabled = false; byHash = [:] }
            return nil
        }

        mutating func disable() { enabled = false; byHash = [:] }

        mutating func insert(_ value: UnsafeBufferPointer<UInt8>, hash h: UInt64, tokens: [(term: Int32, position: Int32)]) {
            guard enabled else { return }
            if byHash.count >= Limits.tokenCacheEntries || bytes >= Limits.tokenCacheBytes { byHash.removeAll(keepingCapacity: true); bytes = 0 }
            byHash[h] = Value(bytes: Array(value), tokens: tokens)
            bytes += value.count + tokens.count * 8
        }
    }

    var docs: [StoredDoc] = []
    /// Objects under documents' roots already indexed into this buffer, replayed when they
    /// come again (`ObjectMemo`).
    public let objects = ObjectMemo()
    var fields: [String: FieldBuilder] = [:]
    /// Ids of buffered documents up to `indexedUpTo`, for create/index/delete lookups before the
    /// buffer is sealed. Filled on the first lookup, not per document: inserting every generated
    /// id cost 3-4% of ingest, and a stream of generated ids is never looked up.
    private var idIndex: [String: Int32] = [:]
    private var indexedUpTo = 0
    var deleted: Set<Int32> = []
    public private(set) var sourceBytes = 0
    public var count: Int { docs.count }
    public var liveCount: Int { docs.count - deleted.count }

    /// Tells builders apart without holding them (path caches compare it per document).
    let serial: UInt64 = SegmentBuilder.nextSerial()
    private static let serialLock = NSLock()
    nonisolated(unsafe) private static var lastSerial: UInt64 = 0
    private static func nextSerial() -> UInt64 { serialLock.withLock { lastSerial += 1; return lastSerial } }

    public init() {}

    /// Whether text fields cache analyzed values (tests turn it off to show the cache changes
    /// no byte of the segment).
    var cachesTokens = true

    func field(_ name: String, _ storage: FieldType.Storage) -> FieldBuilder {
        if let f = fields[name] { return f }
        let f = FieldBuilder(storage: storage)
        if !cachesTokens { f.tokenCache.disable() }
        fields[name] = f
        return f
    }

    /// Starts a document and returns its buffer-local id.
    func beginDoc(id: String, version: Int64, seq: Int64, source: [UInt8], timestamp: Int64) -> Int32 {
        let doc = Int32(docs.count)
        docs.append(StoredDoc(id: id, version: version, seq: seq, source: source, timestamp: timestamp))
        sourceBytes += source.count
        field("_id", .keyword).addTerm(id, doc: doc, position: 0)
        return doc
    }

    func setTimestamp(_ doc: Int32, _ ts: Int64) { docs[Int(doc)].timestamp = ts }

    /// Looks a buffered live document up by id. Callers hold the index exclusively (it may
    /// extend the id index, also on a buffer being sealed, whose flush never reads that index).
    func lookup(id: String) -> (doc: Int32, version: Int64, seq: Int64)? {
        catchUpIDs()
        guard let d = idIndex[id], !deleted.contains(d) else { return nil }
        return (d, docs[Int(d)].version, docs[Int(d)].seq)
    }

    func delete(doc: Int32) {
        catchUpIDs()
        deleted.insert(doc)
        if idIndex[docs[Int(doc)].id] == doc { idIndex[docs[Int(doc)].id] = nil }
    }

    /// Adds the ids of documents buffered since the last lookup; a later document with the
    /// same id (an update) replaces the earlier one, as it did when ids were added one by one.
    private func catchUpIDs() {
        while indexedUpTo < docs.count {
            let d = Int32(indexedUpTo)
            if !deleted.contains(d) { idIndex[docs[indexedUpTo].id] = d }
            indexedUpTo += 1
        }
    }
}
