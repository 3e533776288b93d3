import Foundation

/// A field's sorted terms with their postings, decoded from a segment (docs/format/segment.md).
public final class TermDictionary: @unchecked Sendable {
    /// Term bytes back to back; term i is termBytes[starts[i]..<starts[i+1]].
    let termBytes: [UInt8]
    let starts: [Int32]
    public let docFreq: [Int32]
    let postStart: [Int]
    let postings: UnsafeRawBufferPointer
    /// Terms whose postings are a zstd frame (format 3); nil for older formats.
    let packedTerms: Bitset?
    public let hasPositions: Bool
    let docCount: Int
    /// The field's token count in the segment (text fields): bounds a packed list's positions.
    let totalTokens: Int64
    let label: String

    public var count: Int { docFreq.count }

    /// Heap bytes this dictionary holds (SearchMemory counts them against its budget).
    var memoryCost: Int {
        termBytes.count + starts.count * 4 + docFreq.count * 4 + postStart.count * 8
            + (packedTerms?.words.count ?? 0) * 8 + (owned?.count ?? 0)
    }

    /// Postings rebuilt in memory for a derived keyword field (format 5), freed with the dictionary.
    private let owned: UnsafeMutableRawBufferPointer?
    /// This dictionary's lists in `PostingsCache`.
    let cacheKey = PostingsCache.newKey()
    deinit {
        owned?.deallocate()
        PostingsCache.shared.drop(dict: cacheKey)
    }

    /// A derived keyword field's dictionary (docs/format/segment.md "Derived keyword fields"):
    /// its terms from its own section, its postings rebuilt from each document's ordinal
    /// (`ordOf[doc]`, -1 without a value), checked against the stored document frequencies.
    static func derived(dict: UnsafeRawBufferPointer, termCount: Int, ordOf: [Int32], label: String) throws -> TermDictionary {
        var start = [Int](repeating: 0, count: termCount + 1)
        for o in ordOf where o >= 0 {
            guard Int(o) < termCount else { throw EngineError.corruptFile(path: label, reason: "derived field ordinal out of range") }
            start[Int(o) + 1] += 1
        }
        let counts = (0..<termCount).map { start[$0 + 1] }
        for t in 0..<termCount { start[t + 1] += start[t] }
        var fill = start
        var docs = [Int32](repeating: 0, count: start[termCount])
        for (d, o) in ordOf.enumerated() where o >= 0 { docs[fill[Int(o)]] = Int32(d); fill[Int(o)] += 1 }
        var w = ByteWriter(capacity: docs.count * 2 + 1)
        var ps: [Int] = []
        ps.reserveCapacity(termCount)
        for t in 0..<termCount {
            ps.append(w.count)
            var last: Int32 = 0
            for k in start[t]..<start[t + 1] { w.varint(UInt64(docs[k] - last)); last = docs[k] }
        }
        w.u8(0)   // every offset must lie inside the buffer, also the last term's
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: w.count, alignment: 8)
        buf.copyBytes(from: w.bytes)
        do {
            return try TermDictionary(dict: dict, termCount: termCount, postings: UnsafeRawBufferPointer(buf), positions: false,
                                      docCount: ordOf.count, packed: true, label: label, materialized: (ps, counts, buf))
        } catch { buf.deallocate(); throw error }
    }

    /// `packed` (format 3): the dictionary is one zstd frame and each entry's postings offset
    /// carries a low bit saying whether the term's postings are a zstd frame.
    convenience init(dict rawDict: UnsafeRawBufferPointer, termCount: Int, postings: UnsafeRawBufferPointer, positions: Bool, docCount: Int, totalTokens: Int64 = 0, packed: Bool, label: String,
                     materialized: Materialized? = nil) throws {
        guard termCount <= Limits.maxSegmentDocs * 4 else { throw EngineError.corruptFile(path: label, reason: "term count out of range") }
        if packed {
            let plain: [UInt8]
            do {
                var h = ByteReader(rawDict)
                let rawLen = try h.count()
                guard rawLen <= termCount * (Limits.maxTermBytes + 40) else { throw ByteReader.Truncated() }
                plain = try Zstd.decompress(try h.lengthPrefixed(limit: rawDict.count), expectedSize: rawLen)
            } catch { throw EngineError.corruptFile(path: label, reason: "term dictionary is malformed") }
            try self.init(plain: plain, termCount: termCount, postings: postings, positions: positions, docCount: docCount, totalTokens: totalTokens, packed: true, label: label, materialized: materialized)
        } else {
            try self.init(plain: Array(rawDict), termCount: termCount, postings: postings, positions: positions, docCount: docCount, totalTokens: totalTokens, packed: false, label: label, materialized: materialized)
        }
    }

    /// Postings built in memory: each term's start, its document count, the buffer they live in.
    typealias Materialized = (starts: [Int], counts: [Int], buffer: UnsafeMutableRawBufferPointer)

    private init(plain: [UInt8], termCount: Int, postings: UnsafeRawBufferPointer, positions: Bool, docCount: Int, totalTokens: Int64, packed: Bool, label: String,
                 materialized: Materialized?) throws {
        var bytes: [UInt8] = [], starts: [Int32] = [0], df: [Int32] = [], ps: [Int] = []
        var packedTerms = packed ? Bitset(count: termCount) : nil
        df.reserveCapacity(termCount); ps.reserveCapacity(termCount); starts.reserveCapacity(termCount + 1)
        var prevStart = 0
        var off = 0
        do { try plain.withUnsafeBytes { dict in
            var r = ByteReader(dict)
            for _ in 0..<termCount {
                let shared = try r.count()
                let suffix = try r.lengthPrefixed(limit: Limits.maxTermBytes)
                let prevLen = bytes.count - prevStart
                guard shared <= prevLen else { throw ByteReader.Truncated() }
                let newStart = bytes.count
                // Element by element: appending a slice of the array itself would copy the whole buffer.
                for i in 0..<shared { bytes.append(bytes[prevStart + i]) }
                bytes.append(contentsOf: suffix)
                prevStart = newStart
                starts.append(Int32(bytes.count))
                let f = try r.count()
                guard f > 0, f <= docCount else { throw ByteReader.Truncated() }
                df.append(Int32(f))
                let delta = try r.varint()
                if let m = materialized {
                    // A derived field's entries describe postings that were never written.
                    guard m.counts[df.count - 1] == f else { throw ByteReader.Truncated() }
                    continue
                }
                guard delta <= UInt64(postings.count) * 2 + 1 else { throw ByteReader.Truncated() }
                if packed { off += Int(delta >> 1); if delta & 1 != 0 { packedTerms!.insert(df.count - 1) } } else { off += Int(delta) }
                guard off < postings.count else { throw ByteReader.Truncated() }
                ps.append(off)
            }
        } } catch { throw EngineError.corruptFile(path: label, reason: "term dictionary is malformed") }
        if let m = materialized { ps = m.starts; packedTerms = nil }
        owned = materialized?.buffer
        termBytes = bytes; self.starts = starts; docFreq = df; postStart = ps; self.packedTerms = packedTerms
        self.postings = postings; hasPositions = positions; self.docCount = docCount; self.totalTokens = totalTokens; self.label = label
    }

    /// The term at ordinal `i`.
    public func term(_ i: Int) -> [UInt8] { Array(termBytes[Int(starts[i])..<Int(starts[i + 1])]) }
    public func termString(_ i: Int) -> String { String(decoding: termBytes[Int(starts[i])..<Int(starts[i + 1])], as: UTF8.self) }

    /// Compares term i with `key` bytewise.
    @inline(__always) func compare(_ i: Int, _ key: UnsafeBufferPointer<UInt8>) -> Int {
        let s = Int(starts[i]), e = Int(starts[i + 1])
        let n = min(e - s, key.count)
        let c = termBytes.withUnsafeBufferPointer { tb in memcmp(tb.baseAddress! + s, key.baseAddress!, n) }
        if c != 0 { return Int(c) }
        return (e - s) - key.count
    }

    /// Ordinal of `term`, or nil.
    public func find(_ term: [UInt8]) -> Int? {
        let i = lowerBound(term)
        return i < count && term.withUnsafeBufferPointer({ compare(i, $0) }) == 0 ? i : nil
    }
    public func find(_ term: String) -> Int? { find(Array(term.utf8)) }

    /// First ordinal whose term is >= `key`.
    public func lowerBound(_ key: [UInt8]) -> Int {
        if key.isEmpty { return 0 }
        return key.withUnsafeBufferPointer { k in
            var lo = 0, hi = count
            while lo < hi { let mid = (lo + hi) / 2; if compare(mid, k) < 0 { lo = mid + 1 } else { hi = mid } }
            return lo
        }
    }

    /// The doc ids of term `ord`, ascending.
    /// `cache: false` (merges) leaves `PostingsCache` alone: a merge reads every list once.
    public func docs(_ ord: Int, cache: Bool = true) throws -> [Int32] {
        try decode(ord, freqs: false, positions: false, cache: cache).docs
    }

    /// Doc ids with their term frequencies (1 for fields without positions); positions are skipped.
    public func docsAndFreqs(_ ord: Int) throws -> (docs: [Int32], freqs: [Int32]) {
        let d = try decode(ord, freqs: true, positions: false)
        return (d.docs, d.freqs)
    }

    /// Doc ids with, for each, the positions of the term (text fields only).
    public func docsAndPositions(_ ord: Int, cache: Bool = true) throws -> (docs: [Int32], freqs: [Int32], positions: [Int32]) {
        try decode(ord, freqs: true, positions: true, cache: cache)
    }

    /// Reads one postings list: doc deltas, then (text fields) per doc a frequency and position
    /// deltas, which are skipped unless asked for.
    private func decode(_ ord: Int, freqs wantFreqs: Bool, positions wantPositions: Bool, cache: Bool = true) throws -> (docs: [Int32], freqs: [Int32], positions: [Int32]) {
        guard let plain = try unpacked(ord, cache: cache) else {
            return try decode(ord, from: ByteReader(postings, at: postStart[ord]), freqs: wantFreqs, positions: wantPositions)
        }
        return try plain.withUnsafeBytes { try decode(ord, from: ByteReader($0), freqs: wantFreqs, positions: wantPositions) }
    }

    /// Lists this long are kept decoded in `PostingsCache` once read.
    @inline(__always) private func cacheable(_ ord: Int) -> Bool { docFreq[ord] >= Limits.postingsCacheMinDocs }

    /// A packed term's postings decompressed; nil when the list is stored plain.
    private func unpacked(_ ord: Int, cache: Bool = true) throws -> [UInt8]? {
        guard let packed = packedTerms, packed.contains(ord) else { return nil }
        let big = cache && cacheable(ord)
        if big, let e = PostingsCache.shared.get(dict: cacheKey, ord: ord) { return e.plain }
        let plain: [UInt8]
        do {
            var h = ByteReader(postings, at: postStart[ord])
            let rawLen = try h.count()
            // Per document a doc delta (≤ 5 bytes) and a frequency (≤ 4); positions (≤ 5 bytes
            // each) are at most the field's tokens in the segment.
            let bound = Int64(docFreq[ord]) * (hasPositions ? 9 : 5) + (hasPositions ? 5 * totalTokens : 0)
            guard rawLen <= bound else { throw ByteReader.Truncated() }
            plain = try Zstd.decompress(try h.lengthPrefixed(limit: postings.count), expectedSize: rawLen)
        } catch { throw EngineError.corruptFile(path: label, reason: "postings list is malformed") }
        if big { PostingsCache.shared.put(dict: cacheKey, ord: ord, .init(plain: plain, docs: nil, positionsAt: 0, docStarts: nil)) }
        return plain
    }

    /// One term's postings read once: the doc ids now, positions of chosen documents later
    /// (a phrase intersects doc lists first and needs positions only for what is left).
    public struct TermPostings {
        public let docs: [Int32]
        let plain: [UInt8]?
        let positionsAt: Int
        /// Set for lists kept in `PostingsCache`.
        let cached: PostingsCache.Entry?
        let ord: Int
    }

    public func postings(_ ord: Int) throws -> TermPostings {
        let big = cacheable(ord)
        if big, let e = PostingsCache.shared.get(dict: cacheKey, ord: ord), let docs = e.docs {
            return TermPostings(docs: docs, plain: e.plain, positionsAt: e.positionsAt, cached: e, ord: ord)
        }
        let plain = try unpacked(ord)
        func read(_ r: ByteReader) throws -> (docs: [Int32], at: Int) {
            let buf = r.base
            var at = r.pos
            let n = Int(docFreq[ord])
            var failed = false
            let limit = UInt64(docCount)
            let docs = [Int32](unsafeUninitializedCapacity: n) { out, count in
                var last: UInt64 = 0
                for k in 0..<n {
                    guard let v = ByteReader.varint(buf, &at), v < limit else { failed = true; return }
                    last += v
                    guard last < limit else { failed = true; return }
                    out[k] = Int32(last)
                    count = k + 1
                }
            }
            guard !failed, docs.count == n else { throw EngineError.corruptFile(path: label, reason: "postings list is malformed") }
            return (docs, at)
        }
        let (docs, at) = try plain.map { p in try p.withUnsafeBytes { try read(ByteReader($0)) } } ?? read(ByteReader(postings, at: postStart[ord]))
        var entry: PostingsCache.Entry? = nil
        if big {
            entry = PostingsCache.Entry(plain: plain, docs: docs, positionsAt: at, docStarts: nil)
            PostingsCache.shared.put(dict: cacheKey, ord: ord, entry!)
        }
        return TermPostings(docs: docs, plain: plain, positionsAt: at, cached: entry, ord: ord)
    }

    private func decode(_ ord: Int, from reader: ByteReader, freqs wantFreqs: Bool, positions wantPositions: Bool) throws -> (docs: [Int32], freqs: [Int32], positions: [Int32]) {
        var r = reader
        let n = Int(docFreq[ord])
        var docs = [Int32](repeating: 0, count: n)
        var freqs = wantFreqs ? [Int32](repeating: 1, count: n) : []
        var pos: [Int32] = []
        do {
            var last: Int64 = 0
            for k in 0..<n { last += Int64(try r.varint(below: docCount)); guard last < docCount else { throw ByteReader.Truncated() }; docs[k] = Int32(last) }
            if hasPositions && wantFreqs {
                for k in 0..<n {
                    let f = try r.count()
                    guard f > 0, f < 1 << 24 else { throw ByteReader.Truncated() }
                    freqs[k] = Int32(f)
                    var p: Int64 = 0
                    for _ in 0..<f {
                        let delta = Int64(try r.varint(below: Int(Int32.max)))
                        if wantPositions { p += delta; pos.append(Int32(truncatingIfNeeded: p)) }
                    }
                }
            }
        } catch { throw EngineError.corruptFile(path: label, reason: "postings list is malformed") }
        return (docs, freqs, pos)
    }
}
