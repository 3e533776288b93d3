import XCTest
@testable import LogpondEngine

/// Segment writer/reader round trips, a property test against brute force, corruption
/// handling, and the format fixture kept forever.
final class SegmentTests: XCTestCase {
    static let words = ["error", "warn", "info", "connection", "refused", "timeout", "get", "post", "healthz", "pod", "node", "disk"]

    struct TestDoc { var id: String; var ts: Int64; var words: [String]; var ns: String; var bytes: Int64 }

    func randomDocs(_ n: Int, seed: UInt64) -> [TestDoc] {
        var g = SplitMix(seed: seed)
        return (0..<n).map { i in
            TestDoc(id: "d\(i)", ts: 1_700_000_000_000 + Int64(g.next() % 1_000_000),
                    words: (0..<Int(1 + g.next() % 6)).map { _ in Self.words[Int(g.next() % UInt64(Self.words.count))] },
                    ns: ["default", "kube-system", "monitoring"][Int(g.next() % 3)], bytes: Int64(g.next() % 10_000))
        }
    }

    func source(_ d: TestDoc) -> [UInt8] {
        Array(#"{"@timestamp":"\#(DateParser.format(millis: d.ts))","log":"\#(d.words.joined(separator: " "))","ns":"\#(d.ns)","bytes":\#(d.bytes)}"#.utf8)
    }

    func build(_ docs: [TestDoc], tuning: SegmentWriter.Tuning = SegmentWriter.Tuning()) throws -> (Segment, Mapping) {
        var mapping = Mapping()
        mapping.add("@timestamp", FieldMapping(type: .date))
        mapping.add("log", FieldMapping(type: .text))
        mapping.add("ns", FieldMapping(type: .keyword))
        mapping.add("bytes", FieldMapping(type: .long))
        let b = SegmentBuilder()
        let fl = JSONFlattener()
        let cache = PathCache()
        for (i, d) in docs.enumerated() {
            let src = source(d)
            try src.withUnsafeBytes { buf in
                try fl.flatten(buf) { events, arena in
                    let added = try DocumentIndexer.plan(events, arena!, mapping: mapping, docID: d.id, cache: cache)
                    XCTAssertTrue(added.isEmpty)
                    let doc = b.beginDoc(id: d.id, version: 1, seq: Int64(i + 1), source: src, timestamp: SegmentFormat.noTimestamp)
                    DocumentIndexer.add(events, arena!, mapping: mapping, builder: b, doc: doc, cache: cache)
                }
            }
        }
        let out = try XCTUnwrap(SegmentWriter.write(b, tuning: tuning))
        return (try Segment.inMemory(id: 1, bytes: out.bytes), mapping)
    }

    func testRoundTripIsTimeSortedWithExactSources() throws {
        let docs = randomDocs(3000, seed: 7)
        for tuning in [SegmentWriter.Tuning(), Self.packEverything] {
        let (seg, _) = try build(docs, tuning: tuning)
        XCTAssertEqual(seg.docCount, 3000)
        let sorted = docs.enumerated().sorted { ($0.element.ts, $0.offset) < ($1.element.ts, $1.offset) }.map { $0.element }
        XCTAssertEqual(seg.minTimestamp, sorted.first!.ts)
        XCTAssertEqual(seg.maxTimestamp, sorted.last!.ts)
        let ts = try XCTUnwrap(try seg.numericColumn("@timestamp"))
        for (i, d) in sorted.enumerated() {
            let stored = try seg.document(i)
            XCTAssertEqual(stored.id, d.id)
            XCTAssertEqual(stored.source, source(d))
            XCTAssertEqual(ts.value(i), d.ts)
        }
        }
    }

    /// Thresholds low enough that small segments take every packed path (zstd-packed postings).
    static var packEverything: SegmentWriter.Tuning {
        var t = SegmentWriter.Tuning()
        t.postingsPackMinBytes = 16
        return t
    }

    /// A term repeated thousands of times in one document (a long line of one word) makes a
    /// packed list with far more positions than documents; it must read back whole.
    func testPackedPostingsWithManyPositionsInOneDocument() throws {
        var docs = randomDocs(50, seed: 21)
        docs[7].words = [String](repeating: "spam", count: 3000)
        let (seg, _) = try build(docs)
        let dict = try XCTUnwrap(try seg.dictionary("log"))
        let o = try XCTUnwrap(dict.find("spam"))
        XCTAssertTrue(dict.isPacked(o))
        let p = try dict.docsAndPositions(o)
        let expected = docs.reduce(0) { $0 + $1.words.filter { $0 == "spam" }.count }
        XCTAssertEqual(Int(p.freqs.reduce(0, +)), expected)
        XCTAssertEqual(p.positions.count, expected)
    }

    /// Positions read for chosen documents only (phrases) equal the full decode's, on plain and
    /// on zstd-packed lists, for random candidate sets including documents without the term;
    /// on the larger segment common terms go through `PostingsCache` (read twice: the first
    /// read records where each document's positions start, the second jumps there).
    func testPositionsOfCandidatesMatchFullDecodeProperty() throws {
        var packNothing = SegmentWriter.Tuning()
        packNothing.postingsPackMinBytes = Int.max
        for (docCount, tuning) in [(1500, SegmentWriter.Tuning()), (1500, Self.packEverything), (20_000, Self.packEverything), (20_000, packNothing)] {
            let (seg, _) = try build(randomDocs(docCount, seed: 17), tuning: tuning)
            let dict = try XCTUnwrap(try seg.dictionary("log"))
            var rng = SplitMix(seed: 5)
            var checked = 0, cached = 0
            for ord in 0..<dict.count where dict.docFreq(ord) > 3 {
                let full = try dict.docsAndPositions(ord)
                let cands = (0..<seg.docCount).filter { _ in Int.random(in: 0..<4, using: &rng) == 0 }.map(Int32.init)
                let candIndex = Dictionary(uniqueKeysWithValues: cands.enumerated().map { ($1, $0) })
                var expected = [[Int32]](repeating: [], count: cands.count)
                var at = 0
                for (k, d) in full.docs.enumerated() {
                    let f = Int(full.freqs[k])
                    if let c = candIndex[d] { expected[c] = Array(full.positions[at..<(at + f)]) }
                    at += f
                }
                for round in 0..<2 {
                    let p = try dict.postings(ord)
                    XCTAssertEqual(p.docs, full.docs)
                    let (starts, flat) = try dict.positions(p, of: cands)
                    let got = cands.indices.map { Array(flat[Int(starts[$0])..<Int(starts[$0 + 1])]) }
                    XCTAssertEqual(got, expected, "\(dict.termString(ord)) round \(round)")
                }
                if dict.docFreq(ord) >= Limits.postingsCacheMinDocs { cached += 1 }
                checked += 1
            }
            XCTAssertGreaterThan(checked, 10)
            if docCount > 10_000 { XCTAssertGreaterThan(cached, 3, "no list long enough for the cache") }
            if tuning.postingsPackMinBytes < Limits.postingsCompressMinBytes { XCTAssertGreaterThan(dict.packedCount, 0) }
            if tuning.postingsPackMinBytes == Int.max { XCTAssertEqual(dict.packedCount, 0) }
        }
    }

    /// A merge reads every list once and leaves the postings cache alone (background merges
    /// run during ingest: filling the cache there raised memory and evicted searches' lists);
    /// a search reading the same big lists fills it, and a closed segment takes its lists along.
    func testPostingsCacheFilledBySearchesNotMergesAndDroppedWithTheSegment() throws {
        let (a, _) = try build(randomDocs(20_000, seed: 31), tuning: Self.packEverything)
        let (b, _) = try build(randomDocs(20_000, seed: 32), tuning: Self.packEverything)
        let dict = try XCTUnwrap(try a.dictionary("log"))
        let big = (0..<dict.count).filter { dict.docFreq($0) >= Limits.postingsCacheMinDocs && dict.isPacked($0) }
        XCTAssertFalse(big.isEmpty)
        let cache = PostingsCache.shared
        for o in big { XCTAssertNil(cache.get(dict: dict.cacheKey, ord: o)) }
        _ = try XCTUnwrap(try SegmentMerger.merge([a, b], deletes: [nil, nil]))
        for o in big { XCTAssertNil(cache.get(dict: dict.cacheKey, ord: o), "merge cached \(dict.termString(o))") }
        for o in big { _ = try dict.docs(o) }
        for o in big { XCTAssertNotNil(cache.get(dict: dict.cacheKey, ord: o), "search did not cache \(dict.termString(o))") }
        // A closed segment's lists leave with its dictionary.
        let key: UInt64 = try {
            let (c, _) = try build(randomDocs(20_000, seed: 33), tuning: Self.packEverything)
            let d = try XCTUnwrap(try c.dictionary("log"))
            for o in big { _ = try d.docs(o) }
            XCTAssertNotNil(cache.get(dict: d.cacheKey, ord: big[0]))
            return d.cacheKey
        }()
        for o in big { XCTAssertNil(cache.get(dict: key, ord: o)) }
    }

    /// The postings cache stays within its capacity and forgets a dictionary's lists with it.
    func testPostingsCacheStaysWithinCapacity() {
        let cache = PostingsCache(capacity: 100_000)
        for k in 0..<200 { cache.put(dict: 1, ord: k, .init(plain: [UInt8](repeating: 1, count: 2_000), docs: [1, 2, 3], positionsAt: 0, docStarts: nil)) }
        XCTAssertLessThanOrEqual(cache.bytesUsed, 100_000)
        XCTAssertNotNil(cache.get(dict: 1, ord: 199))
        XCTAssertNil(cache.get(dict: 1, ord: 0))
        cache.put(dict: 2, ord: 0, .init(plain: nil, docs: [1], positionsAt: 0, docStarts: [0, 1]))
        cache.drop(dict: 1)
        XCTAssertNil(cache.get(dict: 1, ord: 199))
        XCTAssertNotNil(cache.get(dict: 2, ord: 0))
        cache.put(dict: 3, ord: 0, .init(plain: [UInt8](repeating: 0, count: 40_000), docs: nil, positionsAt: 0, docStarts: nil))
        XCTAssertNil(cache.get(dict: 3, ord: 0), "an entry over a quarter of the capacity is not kept")
    }

    /// A version-4 block decodes to its documents; one byte too many or too few is malformed.
    func testDecodedBlockLayoutAndMalformedBlocks() throws {
        // headers: id "a", version 1, seq delta +5 (zigzag 10), length 2; then the source "{}".
        let good: [UInt8] = [5, 1, 97, 1, 10, 2, 123, 125]
        let b = try DecodedBlock(raw: good, docCount: 1, headersFirst: true)
        XCTAssertEqual(b.entries.count, 1)
        XCTAssertEqual(Array(good[b.entries[0].id]), [97])
        XCTAssertEqual(b.entries[0].seq, 5)
        XCTAssertEqual(Array(good[b.entries[0].source]), [123, 125])
        XCTAssertThrowsError(try DecodedBlock(raw: good + [0], docCount: 1, headersFirst: true))
        XCTAssertThrowsError(try DecodedBlock(raw: Array(good.dropLast()), docCount: 1, headersFirst: true))
        XCTAssertThrowsError(try DecodedBlock(raw: good, docCount: 2, headersFirst: true))
    }

    /// The shared cache of decoded blocks stays within its capacity, keeps the recent ones and
    /// forgets a closed segment's.
    func testStoredBlockCacheStaysWithinCapacity() throws {
        let cache = StoredBlockCache(capacity: 100_000)
        for k in 0..<50 { cache.put(segment: 1, block: k, try DecodedBlock(raw: [UInt8](repeating: 0, count: 10_000), docCount: 0, headersFirst: false)) }
        XCTAssertLessThanOrEqual(cache.bytesUsed, 100_000)
        XCTAssertNotNil(cache.get(segment: 1, block: 49))
        XCTAssertNil(cache.get(segment: 1, block: 0))
        cache.put(segment: 2, block: 0, try DecodedBlock(raw: [UInt8](repeating: 0, count: 10_000), docCount: 0, headersFirst: false))
        cache.drop(segment: 1)
        XCTAssertNil(cache.get(segment: 1, block: 49))
        XCTAssertEqual(cache.bytesUsed, 10_000)
    }

    func testPackedPathsAreTaken() throws {
        let (seg, _) = try build(randomDocs(2000, seed: 11), tuning: Self.packEverything)
        let dict = try XCTUnwrap(try seg.dictionary("log"))
        XCTAssertGreaterThan(dict.packedCount, 0, "no packed postings")
        let (plain, _) = try build(randomDocs(2000, seed: 11))
        XCTAssertEqual(try plain.dictionary("_id")?.packedCount, 0, "one-document lists are never worth a frame")
        for i in stride(from: 0, to: 2000, by: 37) { XCTAssertEqual(try seg.document(i).source, try plain.document(i).source) }
    }

    func testPostingsMatchBruteForceProperty() throws {
        for seed in UInt64(1)...6 {
            let docs = randomDocs(500 + Int(seed) * 97, seed: seed)
            // Odd seeds pack everything (dictionary, zstd postings), even seeds use the defaults.
            let (seg, _) = try build(docs, tuning: seed % 2 == 1 ? Self.packEverything : SegmentWriter.Tuning())
            var ids: [String: Int] = [:]
            for i in 0..<seg.docCount { ids[try seg.document(i).id] = i }
            let dict = try XCTUnwrap(try seg.dictionary("log"))
            for w in Self.words {
                let expected = docs.filter { $0.words.contains(w) }.map { Int32(ids[$0.id]!) }.sorted()
                let got = try dict.find(w).map { try dict.docs($0) } ?? []
                XCTAssertEqual(got, expected, "term \(w), seed \(seed)")
                if let o = dict.find(w) {
                    let p = try dict.docsAndPositions(o)
                    XCTAssertEqual(p.docs, expected)
                    XCTAssertEqual(Int(p.freqs.reduce(0, +)), docs.reduce(0) { $0 + $1.words.filter { $0 == w }.count })
                }
            }
            let nsCol = try XCTUnwrap(try seg.ordinalColumn("ns"))
            let nsDict = try XCTUnwrap(try seg.dictionary("ns"))
            for d in docs {
                let i = ids[d.id]!
                XCTAssertEqual(nsCol.values(i).map { nsDict.termString(Int($0)) }, [d.ns])
            }
            let bytes = try XCTUnwrap(try seg.numericColumn("bytes"))
            for d in docs { XCTAssertEqual(bytes.value(ids[d.id]!), d.bytes) }
        }
    }

    /// Merging segments (with deletions) answers exactly like one segment built from the live
    /// documents: same order, sources, postings with positions, columns, norms and totals.
    func testMergeEqualsBuildingFromLiveDocumentsProperty() throws {
        for seed in UInt64(1)...4 {
            let all = randomDocs(900 + Int(seed) * 31, seed: seed + 100)
            let tuning = seed % 2 == 0 ? Self.packEverything : SegmentWriter.Tuning()
            let parts = [Array(all[0..<300]), Array(all[300..<310]), Array(all[310...])]
            let segs = try parts.map { try build($0, tuning: tuning).0 }
            var g = SplitMix(seed: seed)
            var deletes: [Bitset?] = []
            var deletedIDs = Set<String>()
            for seg in segs {
                var b = Bitset(count: seg.docCount)
                for d in 0..<seg.docCount where g.next() % 7 == 0 { b.insert(d); deletedIDs.insert(try seg.document(d).id) }
                deletes.append(seed == 1 ? nil : b)
            }
            if seed == 1 { deletedIDs = [] }
            let out = try XCTUnwrap(try SegmentMerger.merge(segs, deletes: deletes, tuning: tuning))
            let merged = try Segment.inMemory(id: 9, bytes: out.bytes)
            let (expected, _) = try build(all.filter { !deletedIDs.contains($0.id) }, tuning: tuning)
            XCTAssertEqual(merged.docCount, expected.docCount)
            XCTAssertEqual(merged.minTimestamp, expected.minTimestamp)
            XCTAssertEqual(merged.maxTimestamp, expected.maxTimestamp)
            for i in 0..<merged.docCount {
                let a = try merged.document(i), b = try expected.document(i)
                XCTAssertEqual(a.id, b.id); XCTAssertEqual(a.source, b.source)
            }
            for (k, seg) in segs.enumerated() {
                for d in 0..<seg.docCount {
                    let nd = out.newID[k][d]
                    if deletes[k]?.contains(d) ?? false { XCTAssertEqual(nd, -1) } else { XCTAssertEqual(try merged.document(Int(nd)).id, try seg.document(d).id) }
                }
            }
            for field in ["log", "ns", "_id"] {
                let md = try XCTUnwrap(try merged.dictionary(field)), ed = try XCTUnwrap(try expected.dictionary(field))
                XCTAssertEqual(md.count, ed.count, field)
                for o in 0..<min(md.count, ed.count) {
                    XCTAssertEqual(md.term(o), ed.term(o))
                    let a = try md.docsAndPositions(o), b = try ed.docsAndPositions(o)
                    XCTAssertEqual(a.docs, b.docs); XCTAssertEqual(a.freqs, b.freqs); XCTAssertEqual(a.positions, b.positions)
                }
                XCTAssertEqual(merged.docsWithField(field), expected.docsWithField(field), field)
            }
            XCTAssertEqual(try merged.norms("log"), try expected.norms("log"))
            XCTAssertEqual(merged.sumTotalTermFreq("log"), expected.sumTotalTermFreq("log"))
            XCTAssertEqual(try merged.ordinalColumn("ns")?.allValues, try expected.ordinalColumn("ns")?.allValues)
            XCTAssertEqual(try merged.numericColumn("bytes")?.allValues, try expected.numericColumn("bytes")?.allValues)
            XCTAssertEqual(try merged.numericColumn("@timestamp")?.allValues, try expected.numericColumn("@timestamp")?.allValues)
            XCTAssertEqual(merged.docsWithField("bytes"), expected.docsWithField("bytes"))
        }
    }

    func testMergeOfOnlyDeletedDocumentsIsNothing() throws {
        let (seg, _) = try build(randomDocs(10, seed: 5))
        var all = Bitset(count: 10)
        for d in 0..<10 { all.insert(d) }
        XCTAssertNil(try SegmentMerger.merge([seg, seg], deletes: [all, all]))
    }

    func testEveryFlippedByteIsDetectedOrHarmless() throws {
        let (small, _) = try build(randomDocs(20, seed: 3))
        let (packed, _) = try build(randomDocs(600, seed: 3), tuning: Self.packEverything)
        // Version 5's value table and derived fields.
        let k8s = try SegmentV5Tests.build(SegmentV5Tests.k8sSources(300, seed: 3))
        XCTAssertGreaterThan(k8s.valueTableRange.count, 0)
        for seg in [small, packed, k8s] {
        let bytes = Array(seg.data.buffer)
        for i in 0..<bytes.count {
            var b = bytes
            b[i] ^= 0x5A
            XCTAssertThrowsError(try Segment.inMemory(id: 2, bytes: b), "flip at \(i) went unnoticed") { e in
                guard case EngineError.corruptFile = e else { return XCTFail("wrong error \(e)") }
            }
        }
        for n in [0, 10, bytes.count / 2, bytes.count - 1] {
            XCTAssertThrowsError(try Segment.inMemory(id: 3, bytes: Array(bytes.prefix(n))))
        }
        }
    }

    /// The v1 fixture, written by the first format's writer and read forever.
    func testFormatV1Fixture() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/segment-v1.lps")
        let seg = try Segment.open(id: 1, path: url.path)
        XCTAssertEqual(seg.formatVersion, 1)
        XCTAssertEqual(seg.docCount, 50)
        XCTAssertEqual(seg.byteSize, 3172)
        try checkFixtureContent(seg)
        XCTAssertNil(try seg.norms("log"))
    }

    /// The v2 fixture (norms): written once with LOGPOND_WRITE_FIXTURES=1 when missing, then read forever.
    func testFormatV2Fixture() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/segment-v2.lps")
        if ProcessInfo.processInfo.environment["LOGPOND_WRITE_FIXTURES"] == "1" && !FileManager.default.fileExists(atPath: url.path) {
            let (seg, _) = try build(randomDocs(50, seed: 42))
            try Data(Array(seg.data.buffer)).write(to: url)
        }
        let seg = try Segment.open(id: 1, path: url.path)
        XCTAssertEqual(seg.formatVersion, 2)
        XCTAssertEqual(seg.docCount, 50)
        try checkFixtureContent(seg)
        let expected = randomDocs(50, seed: 42)
        let norms = try XCTUnwrap(try seg.norms("log"))
        for i in 0..<50 {
            let d = try seg.document(i)
            XCTAssertEqual(Int(Norms.decode(norms[i])), expected.first { $0.id == d.id }!.words.count)
        }
        XCTAssertEqual(seg.sumTotalTermFreq("log"), Int64(expected.reduce(0) { $0 + $1.words.count }))
    }

    /// The v3 fixture (stored dictionary, packed dictionaries and postings): 600 documents
    /// written with every packing threshold lowered; written once when missing, read forever.
    func testFormatV3Fixture() throws { try checkPackedFixture(version: 3, bytes: 25723) }

    /// The v4 fixture: as v3, with stored blocks laid out headers first.
    func testFormatV4Fixture() throws { try checkPackedFixture(version: 4, bytes: 23272) }

    func checkPackedFixture(version: UInt16, bytes: Int) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/segment-v\(version).lps")
        if version == SegmentFormat.version && ProcessInfo.processInfo.environment["LOGPOND_WRITE_FIXTURES"] == "1"
            && !FileManager.default.fileExists(atPath: url.path) {
            let (seg, _) = try build(randomDocs(600, seed: 42), tuning: Self.packEverything)
            try Data(Array(seg.data.buffer)).write(to: url)
        }
        let seg = try Segment.open(id: 1, path: url.path)
        XCTAssertEqual(seg.formatVersion, version)
        XCTAssertEqual(seg.docCount, 600)
        XCTAssertEqual(seg.byteSize, bytes)
        XCTAssertGreaterThan(seg.storedDictRange.count, 0)
        let expected = randomDocs(600, seed: 42)
        let byID = Dictionary(uniqueKeysWithValues: expected.enumerated().map { ($0.element.id, $0) })
        let dict = try XCTUnwrap(try seg.dictionary("log"))
        XCTAssertGreaterThan(dict.packedCount, 0)
        var docsOf: [String: [Int32]] = [:]
        for i in 0..<600 {
            let d = try seg.document(i)
            let (n, t) = try XCTUnwrap(byID[d.id])
            XCTAssertEqual(d.source, source(t))
            XCTAssertEqual(d.version, 1)
            XCTAssertEqual(d.seq, Int64(n + 1))
            for w in Set(t.words) { docsOf[w, default: []].append(Int32(i)) }
        }
        for (w, docs) in docsOf { XCTAssertEqual(try dict.docs(try XCTUnwrap(dict.find(w))), docs, w) }
    }

    func checkFixtureContent(_ seg: Segment) throws {
        let expected = randomDocs(50, seed: 42)
        var seen = Set<String>()
        for i in 0..<50 {
            let d = try seg.document(i)
            let t = try XCTUnwrap(expected.first { $0.id == d.id })
            XCTAssertEqual(d.source, source(t))
            seen.insert(d.id)
        }
        XCTAssertEqual(seen.count, 50)
        XCTAssertNotNil(try seg.dictionary("log")?.find("error"))
    }

    func testNormsEncodingMatchesLucene() {
        // Lengths below 24 are exact; larger ones quantise (Lucene SmallFloat.intToByte4).
        for n in 0..<24 { XCTAssertEqual(Norms.decode(Norms.encode(n)), Int64(n)) }
        XCTAssertEqual(Norms.encode(24), 24)
        XCTAssertEqual(Norms.decode(Norms.encode(100)), 96)
        XCTAssertEqual(Norms.decode(Norms.encode(1_000_000)), 983_064)
        var last: Int64 = -1
        for b in 0...255 { let v = Norms.decode(UInt8(b)); XCTAssertGreaterThan(v, last); last = v }
    }

    /// A null makes no field unless the mapping gives it a null_value, which is indexed.
    func testANullIndexesOnlyANullValue() throws {
        var m = Mapping()
        m.add("a", FieldMapping(type: .keyword))
        var withNull = FieldMapping(type: .keyword); withNull.nullValue = "NULL"
        m.add("b", withNull)
        let b = SegmentBuild.index([Array(#"{"a":null,"b":null}"#.utf8)], mapping: m)
        XCTAssertNil(b.fields["a"], "a null without null_value made a field")
        let f = try XCTUnwrap(b.fields["b"])
        XCTAssertEqual(f.terms.count, 1)
        XCTAssertEqual(Array(f.terms.bytes(0)), Array("NULL".utf8))
    }
}

/// Deterministic generator for reproducible property tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension NumericColumn {
    /// Every document's value (nil: none), for comparisons in tests.
    var allValues: [Int64?] { (0..<docCount).map { has($0) ? value($0) : nil } }
}

extension OrdinalColumn {
    /// Every document's ordinals, for comparisons in tests.
    var allValues: [[Int32]] { (0..<docCount).map { Array(values($0)) } }
}
