/// Format 6's source value table: the values in zstd frames of about
/// `Limits.sourceValueChunkBytes` each (docs/format/segment.md "Source value table"), so a fetch
/// decodes the one chunk its references need, through a process-wide byte-bounded cache, not
/// the whole table (up to `Limits.maxSourceValueTableBytes`) kept per segment.
final class SourceValueChunks: @unchecked Sendable {
    /// One chunk decoded: its values back to back, value i at `bytes[starts[i]..<starts[i+1]]`.
    final class Decoded {
        let bytes: [UInt8]
        let starts: [Int32]
        let first: Int
        /// Whether value `ord` of the table is in this chunk.
        @inline(__always) func holds(_ ord: Int) -> Bool { ord >= first && ord < first + starts.count - 1 }
        /// Parses `count` values (`varint length, bytes` each) filling `plain` exactly.
        init(plain: [UInt8], count: Int, first: Int) throws {
            var packed: [UInt8] = [], st: [Int32] = [0]
            packed.reserveCapacity(plain.count); st.reserveCapacity(count + 1)
            try plain.withUnsafeBytes { buf in
                var r = ByteReader(buf)
                for _ in 0..<count {
                    packed.append(contentsOf: try r.lengthPrefixed(limit: Limits.maxDocumentBytes))
                    st.append(Int32(packed.count))
                }
                guard r.atEnd else { throw ByteReader.Truncated() }
            }
            bytes = packed; starts = st; self.first = first
        }
        var cost: Int { bytes.count + starts.count * 4 + 64 }
    }

    private struct Key: Hashable { var table: UInt64; var chunk: Int }
    private static let cache = ByteBoundedCache<Key, Decoded>(capacity: Limits.sourceValueChunkCacheBytes, name: "source_values")

    /// Keeps the section alive (the segment's mapping).
    private let owner: AnyObject
    private let section: UnsafeRawBufferPointer
    /// First value of each chunk, and one past the last (`count`).
    private let firstValue: [Int]
    private let frameOffset: [Int]
    private let frameLength: [Int]
    private let rawLength: [Int]
    let count: Int
    let label: String
    private let key = CacheKeys.next()

    deinit { Self.cache.removeAll { $0.table == key } }

    var memoryCost: Int { firstValue.count * 32 + 64 }

    /// Reads the chunk directory of a version 6 table section and checks it against the section.
    init(section: UnsafeRawBufferPointer, owner: AnyObject, label: String) throws {
        var r = ByteReader(section)
        var fv: [Int] = [0], fo: [Int] = [], fl: [Int] = [], rl: [Int] = []
        do {
            count = try r.count()
            let chunks = try r.count()
            guard count <= Limits.maxSourceValues, chunks <= count else { throw ByteReader.Truncated() }
            var total = 0
            for _ in 0..<chunks {
                let n = try r.count(), raw = try r.count(), frame = try r.count()
                guard n > 0, raw <= Limits.maxSourceValueTableBytes + 5 * n, frame <= section.count else { throw ByteReader.Truncated() }
                total += n
                fv.append(total); rl.append(raw); fl.append(frame)
            }
            guard total == count else { throw ByteReader.Truncated() }
            var at = r.pos
            for f in fl { fo.append(at); at += f }
            guard at == section.count else { throw ByteReader.Truncated() }
        } catch { throw EngineError.corruptFile(path: label, reason: "source value table is malformed") }
        firstValue = fv; frameOffset = fo; frameLength = fl; rawLength = rl
        self.owner = owner
        self.section = section
        self.label = label
    }

    /// Writes a version 6 table section: `values` in chunks of about `chunkBytes` raw bytes.
    static func encode(_ values: [[UInt8]], level: Int32, chunkBytes: Int = Limits.sourceValueChunkBytes, into out: inout ByteWriter) {
        var chunks: [(n: Int, raw: Int, frame: [UInt8])] = []
        var plain = ByteWriter(), n = 0
        func flush() {
            guard n > 0 else { return }
            chunks.append((n, plain.count, Zstd.compress(plain.bytes, level: level)))
            plain = ByteWriter(); n = 0
        }
        for v in values {
            plain.bytesWithLength(v); n += 1
            if plain.count >= chunkBytes { flush() }
        }
        flush()
        out.varint(UInt64(values.count)); out.varint(UInt64(chunks.count))
        for c in chunks { out.varint(UInt64(c.n)); out.varint(UInt64(c.raw)); out.varint(UInt64(c.frame.count)) }
        for c in chunks { out.append(c.frame) }
    }

    /// The decoded chunk holding value `ord` (< count).
    func chunk(holding ord: Int) throws -> Decoded {
        let c = partitionPoint(0, firstValue.count - 1) { self.firstValue[$0 + 1] > ord }
        if let d = Self.cache.get(Key(table: key, chunk: c)) { return d }
        let n = firstValue[c + 1] - firstValue[c]
        let d: Decoded
        do {
            let raw = try Zstd.decompress(UnsafeRawBufferPointer(rebasing: section[frameOffset[c]..<(frameOffset[c] + frameLength[c])]), expectedSize: rawLength[c])
            d = try Decoded(plain: raw, count: n, first: firstValue[c])
        } catch { throw EngineError.corruptFile(path: label, reason: "source value table chunk \(c) is malformed") }
        Self.cache.put(Key(table: key, chunk: c), d, cost: d.cost)
        return d
    }
}
