import Foundation

/// A stored block decompressed and split into its documents (both block layouts of
/// docs/format/segment.md: interleaved before version 4, headers first from version 4).
struct DecodedBlock {
    struct Entry { var id: Range<Int>; var version: Int64; var seq: Int64; var source: Range<Int>; var encoded = false }
    let raw: [UInt8]
    let entries: [Entry]
    /// The segment's value table when some source of the block is encoded.
    let values: SourceValues.Table?
    var cost: Int { raw.count + entries.count * MemoryLayout<Entry>.stride }

    /// `values`: the segment's value table when the block's lengths carry the encoded flag
    /// (version 5); encoded sources are expanded by `source(_:)`.
    init(raw: [UInt8], docCount: Int, headersFirst: Bool, values: SourceValues.Table? = nil, flagged: Bool = false) throws {
        var out: [Entry] = []
        out.reserveCapacity(docCount)
        var encoded: [Int] = []
        try raw.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            if headersFirst {
                let headerLength = try r.count()
                let headersEnd = r.pos + headerLength
                var sources = headersEnd
                guard sources <= buf.count else { throw ByteReader.Truncated() }
                var ids: [Range<Int>] = [], versions: [Int64] = []
                ids.reserveCapacity(docCount); versions.reserveCapacity(docCount)
                for _ in 0..<docCount {
                    let idLen = try r.count()
                    guard idLen <= Limits.maxStoredIDBytes else { throw ByteReader.Truncated() }
                    ids.append(r.pos..<(r.pos + idLen))
                    _ = try r.raw(idLen)
                }
                for _ in 0..<docCount { versions.append(Int64(truncatingIfNeeded: try r.varint())) }
                var seq: Int64 = 0
                for k in 0..<docCount {
                    seq &+= try r.svarint()
                    out.append(Entry(id: ids[k], version: versions[k], seq: seq, source: 0..<0))
                }
                for k in 0..<docCount {
                    var len = try r.count()
                    if flagged {
                        if len & 1 == 1 { encoded.append(k) }
                        len >>= 1
                    }
                    guard len <= Limits.maxDocumentBytes, sources + len <= buf.count else { throw ByteReader.Truncated() }
                    out[k].source = sources..<(sources + len)
                    sources += len
                }
                guard r.pos == headersEnd, sources == buf.count else { throw ByteReader.Truncated() }
            } else {
                for _ in 0..<docCount {
                    let idLen = try r.count()
                    guard idLen <= Limits.maxStoredIDBytes else { throw ByteReader.Truncated() }
                    let idStart = r.pos
                    _ = try r.raw(idLen)
                    let version = Int64(truncatingIfNeeded: try r.varint()), seq = Int64(truncatingIfNeeded: try r.varint())
                    let len = try r.count()
                    guard len <= Limits.maxDocumentBytes else { throw ByteReader.Truncated() }
                    let srcStart = r.pos
                    _ = try r.raw(len)
                    out.append(Entry(id: idStart..<(idStart + idLen), version: version, seq: seq, source: srcStart..<(srcStart + len)))
                }
            }
        }
        for k in encoded { out[k].encoded = true }
        guard encoded.isEmpty || values != nil else { throw ByteReader.Truncated() }
        self.raw = raw
        self.values = values
        entries = out
    }

    /// Entry `k`'s source as it came, expanded when it is encoded: one document at a time, so
    /// the cache holds blocks at their stored size and a fetch expands only what it returns.
    func source(_ k: Int) throws -> [UInt8] {
        let e = entries[k]
        guard e.encoded, let table = values else { return Array(raw[e.source]) }
        var out: [UInt8] = []
        out.reserveCapacity(e.source.count * 4)
        try raw.withUnsafeBytes { try table.expand(UnsafeRawBufferPointer(rebasing: $0[e.source]), into: &out) }
        guard out.count <= Limits.maxDocumentBytes else { throw ByteReader.Truncated() }
        return out
    }
}

/// Decoded stored blocks of every open segment, least recently used evicted past
/// `Limits.storedBlockCacheBytes`: a search fetching hits from the same blocks again (paging,
/// dashboards refreshing) decompresses nothing.
final class StoredBlockCache: @unchecked Sendable {
    static let shared = StoredBlockCache(capacity: Limits.storedBlockCacheBytes)
    static func newKey() -> UInt64 { CacheKeys.next() }

    private struct Key: Hashable { var segment: UInt64; var block: Int }
    private let lru: ByteBoundedCache<Key, DecodedBlock>
    var capacity: Int { lru.capacity }
    init(capacity: Int) { lru = ByteBoundedCache(capacity: capacity, name: "stored_blocks") }

    func get(segment: UInt64, block: Int) -> DecodedBlock? { lru.get(Key(segment: segment, block: block)) }
    func put(segment: UInt64, block: Int, _ b: DecodedBlock) { lru.put(Key(segment: segment, block: block), b, cost: b.cost) }
    /// Bytes of decoded blocks held now.
    var bytesUsed: Int { lru.bytesUsed }
    /// Forgets a segment's blocks (it was closed).
    func drop(segment: UInt64) { lru.removeAll { $0.segment == segment } }
}

extension Segment {
    /// A stored document: its id, version, sequence number and original `_source` bytes.
    public struct StoredDocument { public var id: String; public var version: Int64; public var seq: Int64; public var source: [UInt8] }

    private func storedDictionaryDecoder() throws -> ZstdDecompressor {
        if let d = lock.withLock({ storedDecompressor }) { return d }
        let d = try ZstdDecompressor(dictionary: slice(storedDictRange.lowerBound, storedDictRange.count))
        lock.withLock { storedDecompressor = d }
        return d
    }

    /// The value table, decoded once (nil when the segment has none).
    func sourceValueTable() throws -> SourceValues.Table? {
        guard !valueTableRange.isEmpty else { return nil }
        if let t = lock.withLock({ valueTable }) { return t }
        let section = slice(valueTableRange.lowerBound, valueTableRange.count)
        if formatVersion >= SegmentFormat.firstInPlaceColumnsVersion {
            return rememberValueTable(SourceValues.Table(chunks: try SourceValueChunks(section: section, owner: data, label: path ?? "segment \(id)")))
        }
        var r = ByteReader(section)
        let count = try r.count(), rawLength = try r.count()
        guard count <= Limits.maxSourceValues, rawLength <= Limits.maxSourceValueTableBytes + count * 5 else { throw ByteReader.Truncated() }
        let t = try SourceValues.Table(plain: try Zstd.decompress(try r.lengthPrefixed(limit: valueTableRange.count), expectedSize: rawLength), count: count)
        return rememberValueTable(t)
    }

    /// Block `index` decoded; `shared` goes through the process-wide cache (searches), merges
    /// read each block once and keep their own.
    func decodedBlock(_ index: Int, shared: Bool = true) throws -> DecodedBlock {
        if shared, let b = StoredBlockCache.shared.get(segment: cacheKey, block: index) { return b }
        let b = blocks[index]
        let decoded: DecodedBlock
        do {
            let frame = slice(storedOffset + b.offset, b.compLength)
            let raw = storedDictRange.isEmpty ? try Zstd.decompress(frame, expectedSize: b.rawLength)
                : try storedDictionaryDecoder().decompress(frame, expectedSize: b.rawLength)
            let flagged = formatVersion >= SegmentFormat.firstValueTableVersion
            decoded = try DecodedBlock(raw: raw, docCount: b.docCount, headersFirst: formatVersion >= SegmentFormat.firstGroupedBlockVersion,
                                       values: flagged ? try sourceValueTable() : nil, flagged: flagged)
        } catch { throw EngineError.corruptFile(path: path ?? "segment \(id)", reason: "stored block \(index) is malformed: \(error)") }
        if shared { StoredBlockCache.shared.put(segment: cacheKey, block: index, decoded) }
        return decoded
    }

    /// The block holding `doc`.
    func blockIndex(of doc: Int) -> Int {
        max(0, partitionPoint(0, blocks.count) { blocks[$0].firstDoc > doc } - 1)
    }

    public func document(_ doc: Int) throws -> StoredDocument {
        let bi = blockIndex(of: doc)
        return try document(doc, in: try decodedBlock(bi), block: bi)
    }

    func document(_ doc: Int, in b: DecodedBlock, block bi: Int) throws -> StoredDocument {
        let k = doc - blocks[bi].firstDoc
        guard k >= 0, k < b.entries.count else { throw EngineError.corruptFile(path: path ?? "segment \(id)", reason: "stored block \(bi) is malformed") }
        let e = b.entries[k]
        do {
            return StoredDocument(id: String(decoding: b.raw[e.id], as: UTF8.self), version: e.version, seq: e.seq, source: try b.source(k))
        } catch { throw EngineError.corruptFile(path: path ?? "segment \(id)", reason: "stored block \(bi) is malformed") }
    }
}

/// Reads one segment's documents in ascending order, keeping only the current block and
/// leaving the shared cache alone (a merge reads every block once).
struct SequentialStoredReader {
    let segment: Segment
    private var current: (index: Int, block: DecodedBlock)?
    init(_ segment: Segment) { self.segment = segment }

    mutating func document(_ doc: Int) throws -> Segment.StoredDocument {
        let bi = segment.blockIndex(of: doc)
        if current?.index != bi {
            if let done = current?.index {
                let b = segment.blocks[done]
                segment.data.releaseResidentPages((segment.storedOffset + b.offset)..<(segment.storedOffset + b.offset + b.compLength))
            }
            current = (bi, try segment.decodedBlock(bi, shared: false))
        }
        return try segment.document(doc, in: current!.block, block: bi)
    }
}
