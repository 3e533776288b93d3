import Foundation
import XCTest
@testable import LogpondEngine

/// Format version 6: numeric and ordinal columns bit-packed and read in place. Codec round trips
/// with exact sizes, random property checks, damaged sections, and the fixture.
final class SegmentV6Tests: XCTestCase {
    func testPackedIntsSizesAndRoundTrip() {
        var w = ByteWriter()
        PackedInts.append(count: 5, bits: 7, to: &w) { UInt64($0 * 25) }
        XCTAssertEqual(w.count, 5)   // 35 bits
        PackedInts.appendPadding(to: &w)
        w.bytes.withUnsafeBytes { b in
            let r = PackedReader(base: b.baseAddress!, bits: 7)
            XCTAssertEqual((0..<5).map { r.get($0) }, [0, 25, 50, 75, 100])
        }
        XCTAssertEqual(PackedInts.bits(forMax: 0), 0)
        XCTAssertEqual(PackedInts.bits(forMax: 1), 1)
        XCTAssertEqual(PackedInts.bits(forMax: 255), 8)
        XCTAssertEqual(PackedInts.bits(forMax: 1 << 56 - 1), 56)
        XCTAssertEqual(PackedInts.bits(forMax: 1 << 56), 64)
        XCTAssertEqual(PackedInts.bits(forMax: .max), 64)

        var g = SplitMix(seed: 7)
        for _ in 0..<300 {
            let bits = [0, 1, 2, 3, 7, 8, 13, 31, 32, 33, 55, 56, 64][Int(g.next() % 13)]
            let n = Int(g.next() % 2000)
            let values = (0..<n).map { _ in bits == 64 ? g.next() : g.next() & ((1 << UInt64(bits)) &- 1) }
            var w = ByteWriter()
            PackedInts.append(count: n, bits: bits, to: &w) { values[$0] }
            XCTAssertEqual(w.count, PackedInts.byteCount(count: n, bits: bits))
            PackedInts.appendPadding(to: &w)
            w.bytes.withUnsafeBytes { b in
                let r = PackedReader(base: b.baseAddress!, bits: bits)
                for i in 0..<n where r.get(i) != values[i] { XCTFail("bits \(bits) value \(i)"); return }
            }
        }
    }

    func numeric(_ values: [Int64?], floating: Bool = false) throws -> (NumericColumn, Int) {
        var bitmap = [UInt8](repeating: 0, count: (values.count + 7) / 8)
        for (d, v) in values.enumerated() where v != nil { bitmap[d >> 3] |= 1 << UInt8(d & 7) }
        var w = ByteWriter()
        NumericColumn.encode(values: values.map { $0 ?? 0 }, bitmap: bitmap, present: values.compactMap { $0 }.count, into: &w)
        let owned = OwnedBytes(w.bytes)
        return (try NumericColumn(packed: owned.buffer, owner: owned, docCount: values.count, floating: floating, label: "test"), w.count)
    }

    func testNumericColumnSizesAndRoundTrip() throws {
        // layout, count, no bitmap, one 17-byte block header, 3 values of 2 bits, padding
        let (a, sizeA) = try numeric([5, 7, 6])
        XCTAssertEqual(sizeA, 1 + 1 + 1 + 17 + 1 + 8)
        XCTAssertEqual(a.allValues, [5, 7, 6])
        // a bitmap of 2 bytes, one value: width 0
        let (b, sizeB) = try numeric([nil, nil, 100, nil, nil, nil, nil, nil, nil, nil])
        XCTAssertEqual(sizeB, 1 + 1 + 1 + 2 + 17 + 0 + 8)
        XCTAssertEqual(b.allValues, [nil, nil, 100, nil, nil, nil, nil, nil, nil, nil])
        XCTAssertEqual(b.presentCount, 1)
        // the extremes of Int64 in one block: 64 bits
        let (c, sizeC) = try numeric([.min, .max, 0, -1])
        XCTAssertEqual(sizeC, 1 + 1 + 1 + 17 + 32 + 8)
        XCTAssertEqual(c.allValues, [.min, .max, 0, -1])
        let (f, _) = try numeric([Int64(bitPattern: (-2.5).bitPattern), nil], floating: true)
        XCTAssertEqual(f.double(0), -2.5)
        XCTAssertFalse(f.has(1))

        var g = SplitMix(seed: 11)
        for _ in 0..<60 {
            let n = 1 + Int(g.next() % 5000)
            let spread = [UInt64(0), 1, 1000, 1 << 40, .max][Int(g.next() % 5)]
            let base = Int64(bitPattern: g.next())
            let values: [Int64?] = (0..<n).map { _ in
                g.next() % 4 == 0 ? nil : base &+ Int64(bitPattern: spread == 0 ? 0 : g.next() % spread)
            }
            XCTAssertEqual(try numeric(values).0.allValues, values)
        }
    }

    func ordinals(_ perDoc: [[Int32]], terms: Int) throws -> (OrdinalColumn, Int) {
        var starts: [Int32] = [0], ords: [Int32] = []
        for v in perDoc { ords += v; starts.append(Int32(ords.count)) }
        var w = ByteWriter()
        OrdinalColumn.encode(starts: starts, ords: ords, into: &w)
        let owned = OwnedBytes(w.bytes)
        return (try OrdinalColumn(packed: owned.buffer, owner: owned, docCount: perDoc.count, terms: terms, label: "test"), w.count)
    }

    func testOrdinalColumnLayoutsSizesAndRoundTrip() throws {
        // layout 1: ordinal + 1 in 3 bits for 3 documents, padding
        let (s, sizeS) = try ordinals([[3], [], [0]], terms: 4)
        XCTAssertEqual(sizeS, 1 + 1 + 2 + 8)
        XCTAssertEqual(s.allValues, [[3], [], [0]])
        // layout 2: widths 2 and 3, total 3; 4 starts in a byte, 3 ordinals in 2 bytes, padding
        let (m, sizeM) = try ordinals([[0, 5], [], [1]], terms: 6)
        XCTAssertEqual(sizeM, 4 + 1 + 2 + 8)
        XCTAssertEqual(m.allValues, [[0, 5], [], [1]])
        XCTAssertEqual(Array(m.values(0).reversed()), [5, 0])
        XCTAssertEqual(m.values(0).last, 5)

        var g = SplitMix(seed: 5)
        for _ in 0..<60 {
            let n = 1 + Int(g.next() % 3000), terms = 1 + Int(g.next() % 100_000)
            let multi = g.next() % 2 == 0
            let perDoc: [[Int32]] = (0..<n).map { _ in
                let k = Int(g.next() % (multi ? 5 : 2))
                return Array(Set((0..<k).map { _ in Int32(g.next() % UInt64(terms)) })).sorted()
            }
            XCTAssertEqual(try ordinals(perDoc, terms: terms).0.allValues, perDoc)
        }
    }

    /// Damaged sections are corrupt files, never a crash or a read outside the section.
    func testDamagedColumnsAreCorruptFiles() throws {
        func isCorrupt(_ body: () throws -> Any) {
            XCTAssertThrowsError(try body()) { e in
                guard case EngineError.corruptFile = e else { return XCTFail("\(e)") }
            }
        }
        var w = ByteWriter()
        NumericColumn.encode(values: [1, 2, 3], bitmap: [7], present: 3, into: &w)
        let good = w.bytes
        func openNumeric(_ b: [UInt8], docs: Int = 3) throws -> NumericColumn {
            let o = OwnedBytes(b)
            return try NumericColumn(packed: o.buffer, owner: o, docCount: docs, floating: false, label: "t")
        }
        XCTAssertNoThrow(try openNumeric(good))
        for cut in 0..<good.count { isCorrupt { try openNumeric(Array(good.prefix(cut))) } }
        var bad = good; bad[0] = 2; isCorrupt { try openNumeric(bad) }            // layout
        bad = good; bad[3 + 8] = 57; isCorrupt { try openNumeric(bad) }           // width
        bad = good; bad[3 + 9] = 200; isCorrupt { try openNumeric(bad) }          // data offset
        bad = good; bad[3 + 16] = 0xFF; isCorrupt { try openNumeric(bad) }        // an offset past 2^56
        isCorrupt { try openNumeric(good, docs: 2000) }                             // more blocks than bytes

        func openOrdinals(_ perDoc: [[Int32]], terms: Int, patch: (inout [UInt8]) -> Void) throws -> OrdinalColumn {
            var starts: [Int32] = [0], ords: [Int32] = []
            for v in perDoc { ords += v; starts.append(Int32(ords.count)) }
            var w = ByteWriter()
            OrdinalColumn.encode(starts: starts, ords: ords, into: &w)
            var b = w.bytes
            patch(&b)
            let o = OwnedBytes(b)
            return try OrdinalColumn(packed: o.buffer, owner: o, docCount: perDoc.count, terms: terms, label: "t")
        }
        XCTAssertNoThrow(try openOrdinals([[3], [1]], terms: 4) { _ in })
        isCorrupt { try openOrdinals([[3], [1]], terms: 3) { _ in } }             // ordinal beyond the dictionary
        XCTAssertNoThrow(try openOrdinals([[0, 2], [1]], terms: 3) { _ in })
        isCorrupt { try openOrdinals([[0, 2], [1]], terms: 3) { $0[4] = 0xFF } }  // starts out of order
        isCorrupt { try openOrdinals([[0, 2], [1]], terms: 3) { $0[0] = 3 } }     // layout
        isCorrupt { try openOrdinals([[0, 2], [1]], terms: 3) { $0 = Array($0.prefix(6)) } }
    }

    /// A version 6 dictionary section of `terms` (sorted, distinct), term i with document
    /// frequency i % 7 + 1 and its postings at 3 × i.
    func dictionarySection(_ terms: [[UInt8]]) -> [UInt8] {
        var entries = ByteWriter(), starts: [Int] = []
        var prev: [UInt8] = []
        for (i, t) in terms.enumerated() {
            let at = entries.count
            if TermBlocks.appendEntry(&entries, index: i, term: t, previous: prev, docFreq: i % 7 + 1, postings: 3 * i,
                                      previousPostings: 3 * max(0, i - 1), packed: i % 5 == 0) { starts.append(at) }
            prev = t
        }
        var w = ByteWriter()
        TermBlocks.section(entries: entries.bytes, blockStarts: starts, into: &w)
        return w.bytes
    }

    func openDictionary(_ bytes: [UInt8], terms: Int, postings: OwnedBytes) throws -> TermDictionary {
        let o = OwnedBytes(bytes)
        return try TermDictionary.open(dict: o.buffer, owner: o, version: 6, termCount: terms, postings: postings.buffer,
                                       positions: false, docCount: 10, label: "t")
    }

    func testTermDictionaryBlocksSizesAndLookups() throws {
        let postings = OwnedBytes([UInt8](repeating: 0, count: 1 << 20))
        // layout, block count, one block offset, then "ab" (0, 2, "ab", df 1, offset 0 packed) and
        // "abc" sharing 2 (2, 1, "c", df 2, delta 3 << 1)
        let tiny = dictionarySection([Array("ab".utf8), Array("abc".utf8)])
        XCTAssertEqual(tiny, [1, 1, 0, 0, 0, 0, 0, 0, 0, 0] + [0, 2, 97, 98, 1, 1] + [2, 1, 99, 2, 6])
        let t = try openDictionary(tiny, terms: 2, postings: postings)
        XCTAssertEqual(t.term(1), Array("abc".utf8)); XCTAssertEqual(t.docFreq(1), 2)
        XCTAssertTrue(t.isPacked(0)); XCTAssertFalse(t.isPacked(1)); XCTAssertEqual(t.entry(1).postings, 3)
        XCTAssertEqual(t.memoryCost, tiny.count)   // memory of its own here; a mapped file's costs none

        var g = SplitMix(seed: 17)
        for round in 0..<25 {
            let n = Int(g.next() % 300) + (round == 0 ? 0 : 1)
            var set = Set<[UInt8]>()
            while set.count < n {
                let len = Int(g.next() % 12)
                set.insert((0..<len).map { _ in UInt8(97 + g.next() % 4) })
            }
            let terms = set.sorted { $0.lexicographicallyPrecedes($1) }
            let d = try openDictionary(dictionarySection(terms), terms: n, postings: postings)
            XCTAssertEqual(d.count, n)
            for (i, term) in terms.enumerated() {
                XCTAssertEqual(d.term(i), term)
                XCTAssertEqual(d.find(term), i)
                let e = d.entry(i)
                XCTAssertEqual([e.docFreq, e.postings], [i % 7 + 1, 3 * i]); XCTAssertEqual(e.packed, i % 5 == 0)
            }
            var seen: [[UInt8]] = []
            d.forEachTerm(from: n / 3) { ord, term in XCTAssertEqual(ord, n / 3 + seen.count); seen.append(term); return true }
            XCTAssertEqual(seen, Array(terms.dropFirst(n / 3)))
            for _ in 0..<50 {
                let key = (0..<Int(g.next() % 12)).map { _ in UInt8(97 + g.next() % 5) }
                let expected = terms.firstIndex { !$0.lexicographicallyPrecedes(key) } ?? n
                XCTAssertEqual(d.lowerBound(key), expected, "\(key)")
                XCTAssertEqual(d.find(key), set.contains(key) ? expected : nil)
            }
        }
    }

    func testDamagedTermDictionaryIsACorruptFile() throws {
        let postings = OwnedBytes([UInt8](repeating: 0, count: 1000))
        let terms = (0..<70).map { Array(String(format: "term%03d", $0).utf8) }
        let good = dictionarySection(terms)
        XCTAssertNoThrow(try openDictionary(good, terms: 70, postings: postings))
        func isCorrupt(_ b: [UInt8], terms n: Int = 70, postings p: OwnedBytes = postings) {
            XCTAssertThrowsError(try openDictionary(b, terms: n, postings: p)) { e in
                guard case EngineError.corruptFile = e else { return XCTFail("\(e)") }
            }
        }
        for cut in stride(from: 0, to: good.count, by: 7) { isCorrupt(Array(good.prefix(cut))) }
        isCorrupt(good, terms: 71)                                   // more terms than entries
        isCorrupt(good, terms: 40)                                   // block count disagrees
        isCorrupt(good, postings: OwnedBytes([0, 0, 0]))             // offsets beyond the postings
        var bad = good; bad[0] = 2; isCorrupt(bad)                   // layout
        bad = good; bad[2] = 9; isCorrupt(bad)                       // a block's offset
        bad = good; bad[2 + 24] = 5; isCorrupt(bad)                  // the first entry shares a prefix
    }

    /// A version 6 value table in many small chunks expands every source as the whole table
    /// does; chunk sizes are exact; a damaged directory is a corrupt file.
    func testChunkedValueTableExpandsAsTheWholeTable() throws {
        var g = SplitMix(seed: 23)
        let values = (0..<40).map { i in "\"value number \(i) " + String(repeating: "x", count: Int(g.next() % 40)) + "\"" }
        let docs: [[UInt8]] = (0..<400).map { _ in
            let members = (0..<Int(g.next() % 4)).map { k in "\"m\(k)\":" + values[Int(g.next() % 40)] }
            return Array(("{" + members.joined(separator: ",") + "}").utf8)
        }
        var b = SourceValues.Builder()
        for d in docs { b.observe(d) }
        b.chooseValues()
        let encoded = docs.map { b.encode($0) }
        XCTAssertGreaterThan(b.values.count, 20)
        let whole = try SourceValues.Table(plain: try XCTUnwrap(b.tableBytesPlain), count: b.values.count)
        var w = ByteWriter()
        SourceValueChunks.encode(b.values, level: 1, chunkBytes: 100, into: &w)
        let owned = OwnedBytes(w.bytes)
        let chunks = try SourceValueChunks(section: owned.buffer, owner: owned, label: "t")
        let table = SourceValues.Table(chunks: chunks)
        XCTAssertEqual(table.count, b.values.count)
        var checked = 0
        for (d, e) in zip(docs, encoded) {
            guard let e else { continue }
            var a: [UInt8] = [], c: [UInt8] = []
            try e.withUnsafeBytes { try whole.expand($0, into: &a); try table.expand($0, into: &c) }
            XCTAssertEqual(c, d); XCTAssertEqual(a, d)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 250)
        // Every value from its own chunk: the chunks' value counts sum to the table's.
        for ord in 0..<b.values.count {
            let c = try chunks.chunk(holding: ord), k = ord - c.first
            XCTAssertEqual(Array(c.bytes[Int(c.starts[k])..<Int(c.starts[k + 1])]), b.values[ord])
        }
        // Exact: one chunk of two short values: count, chunk count, (values, raw, frame), frame.
        var one = ByteWriter()
        SourceValueChunks.encode([Array("ab".utf8), Array("c".utf8)], level: 1, into: &one)
        let frame = Zstd.compress([2, 97, 98, 1, 99], level: 1)
        XCTAssertEqual(one.bytes, [2, 1, 2, 5, UInt8(frame.count)] + frame)
        func isCorrupt(_ bytes: [UInt8]) {
            let o = OwnedBytes(bytes)
            XCTAssertThrowsError(try SourceValueChunks(section: o.buffer, owner: o, label: "t")) { e in
                guard case EngineError.corruptFile = e else { return XCTFail("\(e)") }
            }
        }
        for cut in 0..<one.count { isCorrupt(Array(one.bytes.prefix(cut))) }
        isCorrupt([3] + one.bytes.dropFirst())                   // counts disagree
        isCorrupt(one.bytes + [0])                                // bytes past the frames
    }

    /// Keyword arrays, a long with gaps, a double: what the k8s fixture of version 5 lacks.
    static func richSources(_ n: Int, seed: UInt64) -> [(id: String, source: [UInt8])] {
        var g = SplitMix(seed: seed)
        return SegmentV5Tests.k8sSources(n, seed: seed).map { d in
            var s = String(decoding: d.source.dropLast(), as: UTF8.self)
            if g.next() % 3 != 0 { s += #","bytes":\#(Int64(g.next() % 1_000_000) - 500)"# }
            if g.next() % 2 == 0 { s += #","ratio":\#(Double(g.next() % 1000) / 8)"# }
            let tags = (0..<Int(g.next() % 4)).map { _ in "\"t\(g.next() % 9)\"" }
            s += #","tags":[\#(tags.joined(separator: ","))]}"#
            return (d.id, Array(s.utf8))
        }
    }

    static var richMapping: Mapping {
        var m = SegmentV5Tests.mapping
        m.add("bytes", FieldMapping(type: .long))
        m.add("ratio", FieldMapping(type: .double))
        m.add("tags", FieldMapping(type: .keyword))
        return m
    }

    /// The columns of `richSources` against the sources themselves.
    func checkColumns(_ seg: Segment) throws {
        let bytes = try XCTUnwrap(try seg.numericColumn("bytes")), ratio = try XCTUnwrap(try seg.numericColumn("ratio"))
        let tags = try XCTUnwrap(try seg.ordinalColumn("tags")), dict = try XCTUnwrap(try seg.dictionary("tags"))
        let ts = try XCTUnwrap(try seg.numericColumn("@timestamp"))
        for doc in 0..<seg.docCount {
            let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try seg.document(doc).source)) as? [String: Any])
            XCTAssertEqual(bytes.has(doc) ? bytes.value(doc) : nil, (obj["bytes"] as? NSNumber)?.int64Value)
            XCTAssertEqual(ratio.has(doc) ? ratio.double(doc) : nil, (obj["ratio"] as? NSNumber)?.doubleValue)
            XCTAssertEqual(tags.values(doc).map { dict.termString(Int($0)) }, Set(obj["tags"] as? [String] ?? []).sorted())
            XCTAssertEqual(ts.value(doc), DateParser.parseISO(obj["@timestamp"] as! String))
        }
    }

    func testWrittenAndMergedColumnsMatchTheSources() throws {
        let sources = Self.richSources(2500, seed: 3)
        let a = try SegmentV5Tests.build(Array(sources[0..<1200]), mapping: Self.richMapping)
        let b = try SegmentV5Tests.build(Array(sources[1200...]), mapping: Self.richMapping)
        XCTAssertEqual(a.formatVersion, 6)
        try checkColumns(a); try checkColumns(b)
        let merged = try Segment.inMemory(id: 9, bytes: XCTUnwrap(try SegmentMerger.merge([a, b], deletes: [nil, nil])).bytes)
        XCTAssertEqual(merged.docCount, 2500)
        try checkColumns(merged)
    }

    /// The v6 fixture: the version 5 fixture's records plus a long with gaps, a double and a
    /// keyword array; written once with LOGPOND_WRITE_FIXTURES=1 when missing, read forever.
    func testFormatV6Fixture() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/segment-v6.lps")
        let sources = Self.richSources(600, seed: 42)
        if ProcessInfo.processInfo.environment["LOGPOND_WRITE_FIXTURES"] == "1" && !FileManager.default.fileExists(atPath: url.path) {
            let built = try SegmentV5Tests.build(sources, mapping: Self.richMapping, tuning: SegmentTests.packEverything)
            // The buffer belongs to the segment: keep it alive while the bytes are copied.
            try withExtendedLifetime(built) { try Data(Array(built.data.buffer)).write(to: url) }
        }
        let seg = try Segment.open(id: 1, path: url.path)
        XCTAssertEqual(seg.formatVersion, 6)
        XCTAssertEqual(seg.byteSize, 39188)
        XCTAssertTrue(SegmentV5Tests.derived(seg).contains("kubernetes.namespace_name"))
        try SegmentV5Tests.checkContent(seg, sources)
        try checkColumns(seg)
    }
}
