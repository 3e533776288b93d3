import Foundation

/// A field's sorted terms with their postings, read in place from a segment's term dictionary
/// section (format 6, TermBlocks.swift; older formats are decoded once and laid out the same
/// way in memory of their own). docs/format/segment.md.
public final class TermDictionary: @unchecked Sendable {
    /// Keeps `entries` and `blockStarts` alive: the segment's mapping, or an `OwnedBytes`.
    private let owner: AnyObject
    private let entries: UnsafePointer<UInt8>
    private let blockStarts: UnsafeRawPointer
    private let blockCount: Int
    public let count: Int
    let postings: UnsafeRawBufferPointer
    public let hasPositions: Bool
    let docCount: Int
    /// The field's token count in the segment (text fields): bounds a packed list's positions.
    let totalTokens: Int64
    let label: String
    /// How many terms' postings are zstd frames (tests).
    let packedCount: Int

    /// Postings rebuilt in memory for a derived keyword field (format 5), freed with the dictionary.
    private let owned: UnsafeMutableRawBufferPointer?
    private let materialized: (starts: [Int], counts: [Int])?
    /// This dictionary's lists in `PostingsCache`.
    let cacheKey = PostingsCache.newKey()
    deinit {
        owned?.deallocate()
        PostingsCache.shared.drop(dict: cacheKey)
    }

    /// Heap bytes this dictionary holds (SearchMemory counts them against its budget): none of
    /// its own when read in place.
    var memoryCost: Int {
        ((owner as? OwnedBytes)?.buffer.count ?? 0) + (owned?.count ?? 0) + (materialized.map { $0.starts.count * 16 } ?? 0)
    }

    /// A derived keyword field's dictionary (docs/format/segment.md "Derived keyword fields"):
    /// its terms from its own section, its postings rebuilt from each document's ordinal
    /// (`ordOf[doc]`, -1 without a value), checked against the stored document frequencies.
    static func derived(dict: UnsafeRawBufferPointer, owner: AnyObject, version: UInt16, termCount: Int, ordOf: [Int32], label: String) throws -> TermDictionary {
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
            return try open(dict: dict, owner: owner, version: version, termCount: termCount, postings: UnsafeRawBufferPointer(buf), positions: false,
                            docCount: ordOf.count, label: label, materialized: (ps, counts, buf))
        } catch { buf.deallocate(); throw error }
    }

    /// Postings built in memory: each term's start, its document count, the buffer they live in.
    typealias Materialized = (starts: [Int], counts: [Int], buffer: UnsafeMutableRawBufferPointer)

    /// A field's dictionary section of a segment of format `version`: read in place from
    /// version 6, decoded and laid out in memory before (version 3–5: one zstd frame of the
    /// entries, whose postings offsets carry a packed bit; 1–2: plain entries).
    static func open(dict: UnsafeRawBufferPointer, owner: AnyObject, version: UInt16, termCount: Int, postings: UnsafeRawBufferPointer, positions: Bool,
                     docCount: Int, totalTokens: Int64 = 0, label: String, materialized: Materialized? = nil) throws -> TermDictionary {
        guard termCount <= Limits.maxSegmentDocs * 4 else { throw EngineError.corruptFile(path: label, reason: "term count out of range") }
        if version >= SegmentFormat.firstInPlaceColumnsVersion {
            return try TermDictionary(section: dict, owner: owner, termCount: termCount, postings: postings, positions: positions, docCount: docCount,
                                      totalTokens: totalTokens, label: label, materialized: materialized)
        }
        let packed = version >= SegmentFormat.firstPackedVersion
        let plain: [UInt8]
        if packed {
            do {
                var h = ByteReader(dict)
                let rawLen = try h.count()
                guard rawLen <= termCount * (Limits.maxTermBytes + 40) else { throw ByteReader.Truncated() }
                plain = try Zstd.decompress(try h.lengthPrefixed(limit: dict.count), expectedSize: rawLen)
            } catch { throw EngineError.corruptFile(path: label, reason: "term dictionary is malformed") }
        } else { plain = Array(dict) }
        // Re-laid out as a version 6 section; offsets are checked by the reader.
        var entries = ByteWriter(capacity: plain.count + plain.count / 8)
        var blockStarts: [Int] = []
        do { try plain.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            var prev: [UInt8] = [], off = 0, prevOff = 0
            for i in 0..<termCount {
                let shared = try r.count()
                let suffix = try r.lengthPrefixed(limit: Limits.maxTermBytes)
                guard shared <= prev.count else { throw ByteReader.Truncated() }
                let term = Array(prev[0..<shared]) + Array(suffix)
                let f = try r.count()
                let delta = try r.varint()
                guard delta <= UInt64(postings.count) * 2 + 1 else { throw ByteReader.Truncated() }
                let isPacked = packed && delta & 1 != 0
                off += Int(packed ? delta >> 1 : delta)
                let start = entries.count
                if TermBlocks.appendEntry(&entries, index: i, term: term, previous: prev, docFreq: f, postings: off, previousPostings: prevOff, packed: isPacked) {
                    blockStarts.append(start)
                }
                prev = term; prevOff = off
            }
        } } catch { throw EngineError.corruptFile(path: label, reason: "term dictionary is malformed") }
        var w = ByteWriter(capacity: entries.count + blockStarts.count * 8 + 16)
        TermBlocks.section(entries: entries.bytes, blockStarts: blockStarts, into: &w)
        let own = OwnedBytes(w.bytes)
        return try TermDictionary(section: own.buffer, owner: own, termCount: termCount, postings: postings, positions: positions, docCount: docCount,
                                  totalTokens: totalTokens, label: label, materialized: materialized)
    }

    /// Checks every block and entry of a version 6 section once, so that reads need no checks:
    /// blocks tile the entries, every entry parses inside its block, a term's shared prefix
    /// exists, lengths stay under `Limits.maxTermBytes`, document frequencies lie in
    /// 1...docCount and postings offsets inside the postings (or match the rebuilt ones).
    private init(section: UnsafeRawBufferPointer, owner: AnyObject, termCount: Int, postings: UnsafeRawBufferPointer, positions: Bool, docCount: Int,
                 totalTokens: Int64, label: String, materialized: Materialized?) throws {
        func corrupt() -> EngineError { .corruptFile(path: label, reason: "term dictionary is malformed") }
        var r = ByteReader(section)
        var packedCount = 0
        do {
            guard try r.u8() == 1 else { throw corrupt() }
            let blocks = try r.count()
            guard blocks == (termCount + TermBlocks.size - 1) >> TermBlocks.shift else { throw corrupt() }
            let starts = try r.raw(blocks * 8)
            let body = UnsafeRawBufferPointer(rebasing: section[r.pos...])
            func blockStart(_ b: Int) -> Int { Int(truncatingIfNeeded: UInt64(littleEndian: starts.loadUnaligned(fromByteOffset: b * 8, as: UInt64.self))) }
            var e = ByteReader(body)
            var termLen = 0, post = 0
            for i in 0..<termCount {
                let first = i & (TermBlocks.size - 1) == 0
                if first { guard blockStart(i >> TermBlocks.shift) == e.pos else { throw corrupt() } }
                let shared = try e.count(), n = try e.count()
                guard shared <= termLen, !first || shared == 0, shared + n <= Limits.maxTermBytes else { throw corrupt() }
                _ = try e.raw(n)
                termLen = shared + n
                let f = try e.count()
                guard f > 0, f <= docCount else { throw corrupt() }
                let d = try e.varint()
                guard d >> 1 <= UInt64(postings.count) else { throw corrupt() }
                post = first ? Int(d >> 1) : post + Int(d >> 1)
                if d & 1 != 0 { packedCount += 1 }
                if let m = materialized {
                    // A derived field's entries describe postings that were never written.
                    guard m.counts[i] == f else { throw corrupt() }
                } else {
                    guard post < postings.count else { throw corrupt() }
                }
            }
            guard e.atEnd, body.count > 0 || termCount == 0 else { throw corrupt() }
            blockStarts = starts.baseAddress ?? UnsafeRawPointer(section.baseAddress!)
            entries = (body.baseAddress ?? section.baseAddress!).assumingMemoryBound(to: UInt8.self)
            blockCount = blocks
        } catch let x as EngineError { throw x } catch { throw corrupt() }
        self.owner = owner
        count = termCount
        self.postings = postings; hasPositions = positions; self.docCount = docCount; self.totalTokens = totalTokens; self.label = label
        self.packedCount = materialized == nil ? packedCount : 0
        owned = materialized?.buffer
        self.materialized = materialized.map { ($0.starts, $0.counts) }
    }

    @inline(__always) private func blockStart(_ b: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(littleEndian: blockStarts.loadUnaligned(fromByteOffset: b &* 8, as: UInt64.self)))
    }

    /// A cursor that has read entry `ord`.
    @inline(__always) private func cursor(at ord: Int) -> TermBlocks.Cursor {
        let b = ord >> TermBlocks.shift
        var c = TermBlocks.Cursor(base: entries, at: blockStart(b))
        for k in 0...(ord & (TermBlocks.size - 1)) { c.next(first: k == 0) }
        return c
    }

    /// A term's document count, where its postings start, and whether they are a zstd frame.
    @inline(__always) func entry(_ ord: Int) -> (docFreq: Int, postings: Int, packed: Bool) {
        if let m = materialized { return (m.counts[ord], m.starts[ord], false) }
        let c = cursor(at: ord)
        return (c.docFreq, c.postings, c.packed)
    }

    /// How many documents hold term `ord`.
    public func docFreq(_ ord: Int) -> Int32 { Int32(truncatingIfNeeded: materialized?.counts[ord] ?? cursor(at: ord).docFreq) }

    /// Whether term `ord`'s postings are a zstd frame.
    func isPacked(_ ord: Int) -> Bool { entry(ord).packed }

    /// The term at ordinal `i`.
    public func term(_ i: Int) -> [UInt8] { cursor(at: i).term }
    public func termString(_ i: Int) -> String { String(decoding: cursor(at: i).term, as: UTF8.self) }

    /// Every term's document count in ordinal order, each entry read once: a terms
    /// aggregation over all of a segment's documents counts from these, not per document.
    public func forEachDocFreq(_ body: (Int, Int) -> Void) {
        if let m = materialized { for o in 0..<count { body(o, m.counts[o]) }; return }
        forEachEntry { ord, c in body(ord, c.docFreq); return true }
    }

    /// Every term from ordinal `from` on, in order, each read once (merges, expansions).
    public func forEachTerm(from: Int = 0, _ body: (Int, [UInt8]) throws -> Bool) rethrows {
        try forEachEntry(from: from) { ord, c in try body(ord, c.term) }
    }

    /// Every entry from ordinal `from` on, in order, each read once, while `body` says go on.
    private func forEachEntry(from: Int = 0, _ body: (Int, TermBlocks.Cursor) throws -> Bool) rethrows {
        guard from < count else { return }
        var c = cursor(at: from)
        var ord = from
        while try body(ord, c) {
            ord += 1
            guard ord < count else { return }
            let first = ord & (TermBlocks.size - 1) == 0
            if first { c.at = blockStart(ord >> TermBlocks.shift) }
            c.next(first: first)
        }
    }

    @inline(__always) private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ key: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, key.count)
        if n > 0 { let c = memcmp(a.baseAddress!, key.baseAddress!, n); if c != 0 { return Int(c) } }
        return a.count - key.count
    }

    /// Ordinal of `term`, or nil.
    public func find(_ term: [UInt8]) -> Int? {
        let (ord, exact) = seek(term)
        return exact ? ord : nil
    }
    public func find(_ term: String) -> Int? { find(Array(term.utf8)) }

    /// First ordinal whose term is >= `key`.
    public func lowerBound(_ key: [UInt8]) -> Int { seek(key).ord }

    /// The first ordinal whose term is >= `key`, and whether it equals `key`: a binary search
    /// over the blocks' first terms, then a scan of one block (read once for both answers).
    private func seek(_ key: [UInt8]) -> (ord: Int, exact: Bool) {
        guard count > 0 else { return (0, false) }
        return key.withUnsafeBufferPointer { k in
            // The last block whose first term is <= key (none: the answer is 0).
            var lo = 0, hi = blockCount
            while lo < hi {
                let mid = (lo + hi) / 2
                if Self.compare(TermBlocks.Cursor.firstTerm(entries, at: blockStart(mid)), k) <= 0 { lo = mid + 1 } else { hi = mid }
            }
            if lo == 0 { return (0, false) }
            let b = lo - 1
            var c = TermBlocks.Cursor(base: entries, at: blockStart(b))
            let first = b << TermBlocks.shift
            for ord in first..<min(count, first + TermBlocks.size) {
                c.next(first: ord == first)
                let cmp = c.term.withUnsafeBufferPointer { Self.compare($0, k) }
                if cmp >= 0 { return (ord, cmp == 0) }
            }
            return (min(count, first + TermBlocks.size), false)
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
        let e = entry(ord)
        guard let plain = try unpacked(ord, e, cache: cache) else {
            return try decode(e.docFreq, from: ByteReader(postings, at: e.postings), freqs: wantFreqs, positions: wantPositions)
        }
        return try plain.withUnsafeBytes { try decode(e.docFreq, from: ByteReader($0), freqs: wantFreqs, positions: wantPositions) }
    }


    /// A packed term's postings decompressed; nil when the list is stored plain.
    private func unpacked(_ ord: Int, _ e: (docFreq: Int, postings: Int, packed: Bool), cache: Bool = true) throws -> [UInt8]? {
        guard e.packed else { return nil }
        let big = cache && e.docFreq >= Limits.postingsCacheMinDocs
        if big, let e = PostingsCache.shared.get(dict: cacheKey, ord: ord) { return e.plain }
        let plain: [UInt8]
        do {
            var h = ByteReader(postings, at: e.postings)
            let rawLen = try h.count()
            // Per document a doc delta (≤ 5 bytes) and a frequency (≤ 4); positions (≤ 5 bytes
            // each) are at most the field's tokens in the segment.
            let bound = Int64(e.docFreq) * (hasPositions ? 9 : 5) + (hasPositions ? 5 * totalTokens : 0)
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
        let e = entry(ord)
        let big = e.docFreq >= Limits.postingsCacheMinDocs
        if big, let c = PostingsCache.shared.get(dict: cacheKey, ord: ord), let docs = c.docs {
            return TermPostings(docs: docs, plain: c.plain, positionsAt: c.positionsAt, cached: c, ord: ord)
        }
        let plain = try unpacked(ord, e)
        func read(_ r: ByteReader) throws -> (docs: [Int32], at: Int) {
            let buf = r.base
            var at = r.pos
            let n = e.docFreq
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
        let (docs, at) = try plain.map { p in try p.withUnsafeBytes { try read(ByteReader($0)) } } ?? read(ByteReader(postings, at: e.postings))
        var entry: PostingsCache.Entry? = nil
        if big {
            entry = PostingsCache.Entry(plain: plain, docs: docs, positionsAt: at, docStarts: nil)
            PostingsCache.shared.put(dict: cacheKey, ord: ord, entry!)
        }
        return TermPostings(docs: docs, plain: plain, positionsAt: at, cached: entry, ord: ord)
    }

    private func decode(_ n: Int, from reader: ByteReader, freqs wantFreqs: Bool, positions wantPositions: Bool) throws -> (docs: [Int32], freqs: [Int32], positions: [Int32]) {
        var r = reader
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
