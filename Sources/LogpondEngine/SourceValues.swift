import Foundation

/// Repeated top-level values of a segment's `_source`, stored once (format version 5,
/// docs/format/segment.md "Source value table"). Fluent Bit repeats a pod's whole `kubernetes`
/// object in every record and services repeat their messages; a reference costs a byte or two
/// where zstd, even with a dictionary, pays a match per copy inside each 64 KiB block.
/// Sources are restored byte for byte: only exact member values are replaced.
enum SourceValues {
    /// Marks a reference in an encoded source: `0x01 varint(ordinal)`. A valid JSON text never
    /// holds the byte 0x01 unescaped, and a source that does is stored as it came.
    static let marker: UInt8 = 0x01

    /// Calls `value(start, end)` for each top-level member value of a JSON object; false when
    /// the bytes are not one plain object (the source is then stored unencoded).
    static func members(_ s: UnsafeBufferPointer<UInt8>, _ value: (Int, Int) -> Void) -> Bool {
        var i = 0
        let n = s.count
        @inline(__always) func ws() { while i < n, s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x0D || s[i] == 0x09 { i += 1 } }
        let base = s.baseAddress!
        func string() -> Bool {   // at the opening quote; memchr to each quote, then count the backslashes before it
            i += 1
            while i < n {
                guard let q = memchr(base + i, Int32(UInt8(ascii: "\"")), n - i) else { return false }
                let at = UnsafePointer<UInt8>(q.assumingMemoryBound(to: UInt8.self)) - base
                var k = at - 1, slashes = 0
                while k >= i && s[k] == UInt8(ascii: "\\") { slashes += 1; k -= 1 }
                i = at + 1
                if slashes & 1 == 0 { return true }
            }
            return false
        }
        func skipValue() -> Bool {
            guard i < n else { return false }
            switch s[i] {
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < n {
                    switch s[i] {
                    case UInt8(ascii: "\""): if !string() { return false }; continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { i += 1; return true }
                    default: break
                    }
                    i += 1
                }
                return false
            default:
                let start = i
                while i < n, s[i] != UInt8(ascii: ","), s[i] != UInt8(ascii: "}"), s[i] != 0x20, s[i] != 0x0A, s[i] != 0x0D, s[i] != 0x09 { i += 1 }
                return i > start
            }
        }
        ws()
        guard i < n, s[i] == UInt8(ascii: "{") else { return false }
        i += 1
        ws()
        if i < n, s[i] == UInt8(ascii: "}") { i += 1; ws(); return i == n }
        while true {
            guard i < n, s[i] == UInt8(ascii: "\""), string() else { return false }
            ws()
            guard i < n, s[i] == UInt8(ascii: ":") else { return false }
            i += 1
            ws()
            let start = i
            guard skipValue() else { return false }
            value(start, i)
            ws()
            guard i < n else { return false }
            if s[i] == UInt8(ascii: ",") { i += 1; ws(); continue }
            guard s[i] == UInt8(ascii: "}") else { return false }
            i += 1
            ws()
            return i == n
        }
    }

    /// A deterministic 64-bit hash (segment bytes must not depend on the process's seed).
    static func hash(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(end - start)
        let raw = UnsafeRawBufferPointer(s)
        var i = start
        while i + 8 <= end {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < end { tail |= UInt64(s[i]) << shift; shift += 8; i += 1 }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }

    /// Chooses a segment's table in two passes over its sources: `observe` each source, then
    /// `encode` each (same order or not) to get what the stored block holds.
    struct Builder {
        private var seen: [UInt64] = []
        private var ordOfHash: [UInt64: Int32] = [:]
        private(set) var values: [[UInt8]] = []

        /// With `rememberSpans`, pass 1 keeps each source's candidate spans and hashes so pass 2,
        /// called in the same order, need not scan and hash the sources again (a write buffer's
        /// seal: its sources are few enough; merges pass sources by the million and do not).
        init(rememberSpans: Bool = false) { remember = rememberSpans }

        private let remember: Bool
        /// Per observed source in order: where its spans start in `spans` (`spanStart[k]..<spanStart[k + 1]`).
        private var spanStart: [Int32] = [0]
        private var spans: [(start: Int32, end: Int32, hash: UInt64)] = []
        /// The observed source whose spans the next `encode` reads.
        private var nextSpan = 0

        /// Pass 1: remembers the hashes of the values long enough to be worth a reference.
        mutating func observe(_ source: [UInt8]) {
            defer { if remember { spanStart.append(Int32(truncatingIfNeeded: spans.count)) } }
            guard seen.count < Limits.sourceValueScanMaxValues else { return }
            source.withUnsafeBufferPointer { s in
                guard let base = s.baseAddress, memchr(base, Int32(marker), s.count) == nil else { return }
                let before = spans.count
                let ok = SourceValues.members(s) { a, b in
                    guard b - a >= Limits.sourceValueMinBytes else { return }
                    let h = hash(s, a, b)
                    seen.append(h)
                    if remember { spans.append((Int32(truncatingIfNeeded: a), Int32(truncatingIfNeeded: b), h)) }
                }
                // A source that is not one plain object is stored as it came: no spans.
                if !ok && remember { spans.removeLast(spans.count - before) }
            }
        }

        /// Ends pass 1: values seen at least twice get ordinals, the most frequent first (one-byte
        /// references), until the table would pass `Limits.maxSourceValueTableBytes`.
        mutating func chooseValues() {
            seen.sort()
            var repeated: [(hash: UInt64, count: Int)] = []
            var i = 0
            while i < seen.count {
                var j = i + 1
                while j < seen.count && seen[j] == seen[i] { j += 1 }
                if j - i >= 2 { repeated.append((seen[i], j - i)) }
                i = j
            }
            seen = []
            repeated.sort { $0.count != $1.count ? $0.count > $1.count : $0.hash < $1.hash }
            if repeated.count > Limits.maxSourceValues { repeated.removeLast(repeated.count - Limits.maxSourceValues) }
            for (k, r) in repeated.enumerated() { ordOfHash[r.hash] = Int32(k) }
            values = [[UInt8]](repeating: [], count: repeated.count)
        }

        private var tableBytes = 0

        /// Pass 2: the source with chosen values replaced by references; nil when nothing was
        /// replaced (stored as it came).
        mutating func encode(_ source: [UInt8]) -> [UInt8]? {
            // Remembered spans are read in observation order whether or not this source uses them.
            var known: Range<Int>? = nil
            if remember && nextSpan + 1 < spanStart.count {
                known = Int(spanStart[nextSpan])..<Int(spanStart[nextSpan + 1])
                nextSpan += 1
            }
            guard !ordOfHash.isEmpty else { return nil }
            return source.withUnsafeBufferPointer { s in
                var spans: [(Int, Int, Int32)] = []
                var ok = true
                func consider(_ a: Int, _ b: Int, _ h: UInt64) {
                    guard b - a >= Limits.sourceValueMinBytes, let ord = ordOfHash[h] else { return }
                    let k = Int(ord)
                    // Values are at least `sourceValueMinBytes` long: an empty slot is unfilled.
                    if values[k].isEmpty {
                        guard tableBytes + (b - a) <= Limits.maxSourceValueTableBytes else { return }
                        values[k] = Array(s[a..<b]); tableBytes += b - a
                    } else if !values[k].withUnsafeBufferPointer({ $0.count == b - a && memcmp($0.baseAddress!, s.baseAddress! + a, b - a) == 0 }) {
                        return   // another value with the same hash: stays inline
                    }
                    spans.append((a, b, ord))
                }
                if let known {
                    for k in known { let sp = self.spans[k]; consider(Int(sp.start), Int(sp.end), sp.hash) }
                } else {
                    guard let base = s.baseAddress, memchr(base, Int32(marker), s.count) == nil else { return nil }
                    ok = SourceValues.members(s) { a, b in
                        if b - a >= Limits.sourceValueMinBytes { consider(a, b, hash(s, a, b)) }
                    }
                }
                guard ok, !spans.isEmpty else { return nil }
                var w = ByteWriter(capacity: s.count)
                var at = 0
                for (a, b, ord) in spans {
                    w.bytes.append(contentsOf: s[at..<a])
                    w.u8(marker); w.varint(UInt64(ord))
                    at = b
                }
                w.bytes.append(contentsOf: s[at..<s.count])
                return w.bytes
            }
        }

        /// Whether any source uses the table (else the segment has none).
        var hasTable: Bool { tableBytes > 0 }

        /// The table's plain bytes (`varint length, bytes` per value, format 5's frame), or nil
        /// when no source used it.
        var tableBytesPlain: [UInt8]? {
            guard tableBytes > 0 else { return nil }
            var w = ByteWriter(capacity: tableBytes + values.count * 2)
            for v in values { w.bytesWithLength(v) }
            return w.bytes
        }
    }

    /// A segment's table: restores encoded sources. A version 5 table is decoded whole, as one
    /// chunk; a version 6 table decodes the chunk a reference needs (SourceValueChunks).
    struct Table {
        private let whole: SourceValueChunks.Decoded?
        private let chunks: SourceValueChunks?
        let count: Int

        /// Parses the plain table; throws on lengths that overrun it.
        init(plain: [UInt8], count: Int) throws {
            whole = try SourceValueChunks.Decoded(plain: plain, count: count, first: 0); chunks = nil; self.count = count
        }

        init(chunks: SourceValueChunks) { whole = nil; self.chunks = chunks; count = chunks.count }

        /// Heap bytes held (SearchMemory counts them against its budget); decoded chunks live
        /// in their own bounded cache.
        var memoryCost: Int { whole?.cost ?? chunks?.memoryCost ?? 0 }

        /// Appends `encoded` to `out` with every reference replaced by its value.
        func expand(_ encoded: UnsafeRawBufferPointer, into out: inout [UInt8]) throws {
            guard encoded.count > 0 else { return }
            var r = ByteReader(encoded)
            var runStart = 0
            var chunk = whole
            var seen: [SourceValueChunks.Decoded] = []
            while let m = memchr(encoded.baseAddress! + r.pos, Int32(marker), encoded.count - r.pos) {
                let at = encoded.baseAddress!.distance(to: UnsafeRawPointer(m))
                out.append(contentsOf: encoded[runStart..<at])
                r.pos = at + 1
                let v = try r.varint()
                guard v < UInt64(count) else { throw ByteReader.Truncated() }
                let ord = Int(v)
                // References of one source mostly fall in one chunk (the most used values first).
                if let chunks, chunk.map({ !$0.holds(ord) }) ?? true {
                    // The chunks this source already used are asked first: a source's
                    // references alternate between a few chunks, and each cache lookup takes
                    // the shared cache's lock.
                    if let c = seen.first(where: { $0.holds(ord) }) { chunk = c } else {
                        let c = try chunks.chunk(holding: ord)
                        if seen.count < 8 { seen.append(c) }
                        chunk = c
                    }
                }
                guard let c = chunk else { throw ByteReader.Truncated() }
                let k = ord - c.first
                out.append(contentsOf: c.bytes[Int(c.starts[k])..<Int(c.starts[k + 1])])
                runStart = r.pos
                guard r.pos < encoded.count else { break }
            }
            out.append(contentsOf: encoded[runStart..<encoded.count])
        }
    }
}
