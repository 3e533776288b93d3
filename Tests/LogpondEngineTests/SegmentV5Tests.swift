import Foundation
import XCTest
@testable import LogpondEngine

/// Format version 5: the `_source` value table and derived keyword fields, on real segments
/// written by the writer and by the merger, against brute force over the documents.
final class SegmentV5Tests: XCTestCase {
    struct Pod { let name: String; let ns: String; let host: String; let id: String }

    /// Fluent Bit records: a pod's `kubernetes` object repeated in each of its records,
    /// messages drawn from a small set (repeated) plus unique ones, an optional `extra` keyword
    /// present in some records of a pod only (so it cannot be derived).
    static func k8sSources(_ n: Int, seed: UInt64, pods: Int = 12) -> [(id: String, source: [UInt8])] {
        var g = SplitMix(seed: seed)
        let podList = (0..<pods).map { i in
            Pod(name: "web-\(i)-\(g.next() % 100_000)", ns: ["default", "payments", "kube-system"][i % 3],
                host: "node-\(i % 4)", id: String(format: "%016llx", g.next()))
        }
        let messages = ["GET /healthz 200 took 1ms from kubelet", "connection refused while connecting to upstream",
                        "Liveness probe failed: HTTP probe failed with statuscode: 500", "short"]
        return (0..<n).map { i in
            let p = podList[Int(g.next() % UInt64(pods))]
            let ms = 1_700_000_000_000 + Int64(i) * 1000 + Int64(g.next() % 1000)
            let msg = g.next() % 4 == 0 ? "unique message \(g.next())" : messages[Int(g.next() % UInt64(messages.count))]
            let extra = g.next() % 3 == 0 ? #","extra":"x\#(g.next() % 2)""# : ""
            let ws = i % 50 == 7 ? " " : ""   // some sources with whitespace between members
            let src = #"{"@timestamp":"\#(DateParser.format(millis: ms))",\#(ws)"log":"\#(msg)\n","stream":"stdout"\#(extra),"# +
                #""kubernetes":{"pod_name":"\#(p.name)","namespace_name":"\#(p.ns)","host":"\#(p.host)","pod_id":"\#(p.id)","labels":{"app":"web"}}}"#
            return ("k\(i)", Array(src.utf8))
        }
    }

    static var mapping: Mapping {
        var m = Mapping()
        m.add("@timestamp", FieldMapping(type: .date))
        m.add("log", FieldMapping(type: .text))
        for k in ["stream", "extra", "kubernetes.pod_name", "kubernetes.namespace_name", "kubernetes.host", "kubernetes.pod_id", "kubernetes.labels.app"] {
            m.add(k, FieldMapping(type: .keyword))
        }
        return m
    }

    static func build(_ sources: [(id: String, source: [UInt8])], mapping: Mapping = SegmentV5Tests.mapping, tuning: SegmentWriter.Tuning = SegmentWriter.Tuning()) throws -> Segment {
        let b = SegmentBuilder()
        let fl = JSONFlattener()
        let cache = PathCache()
        for (i, d) in sources.enumerated() {
            try d.source.withUnsafeBytes { buf in
                try fl.flatten(buf) { events, arena in
                    _ = try DocumentIndexer.plan(events, arena!, mapping: mapping, docID: d.id, cache: cache)
                    let doc = b.beginDoc(id: d.id, version: 1, seq: Int64(i + 1), source: d.source, timestamp: SegmentFormat.noTimestamp)
                    DocumentIndexer.add(events, arena!, mapping: mapping, builder: b, doc: doc, cache: cache)
                }
            }
        }
        let out = try XCTUnwrap(SegmentWriter.write(b, tuning: tuning))
        return try Segment.inMemory(id: 1, bytes: out.bytes)
    }

    /// Every stored source byte for byte, and every keyword field's postings and ordinals
    /// equal to what the sources say.
    static func checkContent(_ seg: Segment, _ sources: [(id: String, source: [UInt8])]) throws {
        let byID = Dictionary(uniqueKeysWithValues: sources.map { ($0.id, $0.source) })
        var values: [String: [Int: String]] = [:]
        for doc in 0..<seg.docCount {
            let d = try seg.document(doc)
            XCTAssertEqual(d.source, byID[d.id], d.id)
            let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(d.source)) as? [String: Any])
            let k8s = try XCTUnwrap(obj["kubernetes"] as? [String: Any])
            values["stream", default: [:]][doc] = obj["stream"] as? String
            values["extra", default: [:]][doc] = obj["extra"] as? String
            for k in ["pod_name", "namespace_name", "host", "pod_id"] { values["kubernetes." + k, default: [:]][doc] = k8s[k] as? String }
            values["kubernetes.labels.app", default: [:]][doc] = (k8s["labels"] as? [String: Any])?["app"] as? String
        }
        XCTAssertEqual(seg.docCount, sources.count)
        for (field, perDoc) in values {
            let dict = try XCTUnwrap(try seg.dictionary(field), field)
            let col = try XCTUnwrap(try seg.ordinalColumn(field), field)
            var expected: [String: [Int32]] = [:]
            for (doc, v) in perDoc { expected[v, default: []].append(Int32(doc)) }
            XCTAssertEqual(dict.count, expected.count, field)
            for (v, docs) in expected {
                let ord = try XCTUnwrap(dict.find(v), "\(field)=\(v)")
                XCTAssertEqual(try dict.docs(ord), docs.sorted(), "\(field)=\(v)")
                XCTAssertEqual(Int(dict.docFreq(ord)), docs.count)
                for d in docs { XCTAssertEqual(Array(col.values(Int(d))), [Int32(ord)], "\(field) doc \(d)") }
            }
            for d in 0..<seg.docCount where perDoc[d] == nil { XCTAssertTrue(col.values(d).isEmpty, "\(field) doc \(d)") }
        }
    }

    static func derived(_ seg: Segment) -> Set<String> {
        Set(seg.fieldNames.filter { (seg.fieldInfo($0)!.flags & SegmentFormat.flagDerived) != 0 })
    }

    func testWriterStoresRepeatedValuesOnceAndDerivesPodFields() throws {
        let sources = Self.k8sSources(3000, seed: 5)
        for tuning in [SegmentWriter.Tuning(), SegmentTests.packEverything] {
            let seg = try Self.build(sources, tuning: tuning)
            XCTAssertEqual(seg.formatVersion, SegmentFormat.version)
            XCTAssertGreaterThan(seg.valueTableRange.count, 0)
            // 12 pod objects and 3 messages repeat; "short", timestamps and unique messages do not.
            XCTAssertEqual(try XCTUnwrap(try seg.sourceValueTable()).count, 15)
            // pod_id (12 terms, first by name among the largest) is the key: pod_name, namespace,
            // host, labels.app and stream (one value everywhere) follow from it; `extra` (in
            // some records of a pod only) does not.
            XCTAssertEqual(Self.derived(seg), ["kubernetes.namespace_name", "kubernetes.host", "kubernetes.labels.app", "kubernetes.pod_name", "stream"])
            try Self.checkContent(seg, sources)
        }
    }

    func testMergedSegmentsKeepSourcesAndDerivations() throws {
        let sources = Self.k8sSources(4000, seed: 9)
        let parts = stride(from: 0, to: 4000, by: 1000).map { Array(sources[$0..<($0 + 1000)]) }
        let segs = try parts.map { try Self.build($0) }
        let out = try XCTUnwrap(try SegmentMerger.merge(segs, deletes: segs.map { _ in nil }))
        let merged = try Segment.inMemory(id: 9, bytes: out.bytes)
        XCTAssertEqual(merged.docCount, 4000)
        XCTAssertTrue(Self.derived(merged).contains("kubernetes.namespace_name"))
        try Self.checkContent(merged, sources)
        // Merging one segment again (as a force-merge does) changes nothing readable.
        let again = try Segment.inMemory(id: 10, bytes: try XCTUnwrap(try SegmentMerger.merge([merged], deletes: [nil], tuning: .forceMerge)).bytes)
        try Self.checkContent(again, sources)
    }

    /// A merge written to a file piece by piece is the same file as one built in memory
    /// (offsets, checksum and all); pieces of 4 KB so the output is handed over many times.
    func testSpilledMergeEqualsMergeInMemory() throws {
        let sources = Self.k8sSources(4000, seed: 13)
        let segs = try stride(from: 0, to: 4000, by: 1000).map { try Self.build(Array(sources[$0..<($0 + 1000)])) }
        let memory = try XCTUnwrap(try SegmentMerger.merge(segs, deletes: segs.map { _ in nil }))
        let dir = NSTemporaryDirectory() + "/lp-spill-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spill = try SegmentSpill(dir: dir, id: 7, pieceBytes: 4096)
        let out = try XCTUnwrap(try SegmentMerger.merge(segs, deletes: segs.map { _ in nil }, spill: spill))
        XCTAssertTrue(out.bytes.isEmpty)
        let path = try spill.publish()
        XCTAssertFalse(FileManager.default.fileExists(atPath: spill.tmp))
        let file = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(out.length, file.count)
        XCTAssertGreaterThan(file.count, 20 * 4096)
        XCTAssertEqual(Array(file), memory.bytes)
        try Self.checkContent(try Segment.open(id: 8, path: path), sources)
    }

    /// A force-merge trains a stored-block dictionary only when the value table leaves most
    /// of the source: unique messages yes, repeated ones no; both read back byte for byte.
    func testForceMergeTrainsADictionaryOnlyForUniqueMessages() throws {
        let base = Self.k8sSources(3000, seed: 21)
        var g = SplitMix(seed: 22)
        // Long messages: four of them repeated, or each one of a kind.
        func withMessage(_ make: () -> String) -> [(id: String, source: [UInt8])] {
            base.map { d in
                // The generated message sits between `"log":"` and the `\n"` that ends it.
                let s = String(decoding: d.source, as: UTF8.self)
                let start = s.range(of: #""log":""#)!.upperBound
                let end = s.range(of: #"\n""#, range: start..<s.endIndex)!.lowerBound
                return (d.id, Array((s[..<start] + make() + s[end...]).utf8))
            }
        }
        let repeated = withMessage { "request served by upstream \(g.next() % 4) after retrying the connection pool twice; cache miss on key family sessions" }
        let unique = withMessage { (0..<12).map { _ in String(g.next() % 1_000_000, radix: 36) }.joined(separator: " ") }
        for (sources, wantsDictionary) in [(repeated, false), (unique, true)] {
            let segs = try stride(from: 0, to: 3000, by: 1000).map { try Self.build(Array(sources[$0..<($0 + 1000)])) }
            XCTAssertTrue(segs.allSatisfy { $0.storedDictRange.isEmpty })
            let merged = try Segment.inMemory(id: 4, bytes: try XCTUnwrap(try SegmentMerger.merge(segs, deletes: segs.map { _ in nil }, tuning: .forceMerge)).bytes)
            XCTAssertEqual(!merged.storedDictRange.isEmpty, wantsDictionary)
            let background = try Segment.inMemory(id: 5, bytes: try XCTUnwrap(try SegmentMerger.merge(segs, deletes: segs.map { _ in nil })).bytes)
            XCTAssertTrue(background.storedDictRange.isEmpty)
            try Self.checkContent(merged, sources)
        }
    }

    func testFieldMissingWhereKeyIsPresentIsNotDerivedFromIt() throws {
        var e = SegmentDerivation()
        e.offer(name: "key", termCount: 3, ordOf: [0, 1, 2, 0, -1])
        XCTAssertEqual(e.derivation(of: [1, 0, 0, 1, -1])?.map, [1, 0, 0])
        XCTAssertNil(e.derivation(of: [1, 0, 0, -1, -1]))   // key 0 → 1 and → none
        XCTAssertNil(e.derivation(of: [1, 0, 0, 1, 0]))     // value where the key has none
        XCTAssertEqual(e.derivation(of: [-1, 0, 0, -1, -1])?.map, [-1, 0, 0])
        XCTAssertNil(SegmentDerivation.singleValued(starts: [0, 1, 3], ords: [0, 1, 2]))
        XCTAssertEqual(SegmentDerivation.singleValued(starts: [0, 1, 1, 2], ords: [4, 2]), [4, -1, 2])
        var one = SegmentDerivation()
        one.offer(name: "single", termCount: 1, ordOf: [0, 0])
        XCTAssertTrue(one.keys.isEmpty)   // one term determines nothing worth a map
    }

    /// A derivation naming a field that is not a key, or a table reference past the table, is
    /// reported as a damaged file, never a crash.
    func testDamagedDerivationAndTableAreCorruptFiles() throws {
        let seg = try Self.build(Self.k8sSources(600, seed: 3))
        let bytes = Array(seg.data.buffer)
        let fi = try XCTUnwrap(seg.fieldInfo("kubernetes.namespace_name"))
        XCTAssertNotEqual(fi.flags & SegmentFormat.flagDerived, 0)
        // Rename the key inside the derivation section to a field that does not exist.
        var broken = bytes
        broken[fi.ordOffset + 1] ^= 0x20
        let bad = try Segment.inMemory(id: 2, bytes: refreshChecksum(broken))
        XCTAssertThrowsError(try bad.dictionary("kubernetes.namespace_name")) { XCTAssertTrue("\($0)".contains("derivation")) }
        XCTAssertThrowsError(try bad.ordinalColumn("kubernetes.namespace_name"))
        // A table claiming fewer values than the sources reference.
        var t = bytes
        let at = seg.valueTableRange.lowerBound
        XCTAssertGreaterThan(t[at], 1)
        t[at] = 1
        let noTable = try Segment.inMemory(id: 3, bytes: refreshChecksum(t))
        XCTAssertThrowsError(try (0..<noTable.docCount).forEach { _ = try noTable.document($0) })
    }

    func refreshChecksum(_ b: [UInt8]) -> [UInt8] {
        var out = b
        let crc = out.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<(out.count - 12)])) }
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { out[out.count - 12 + i] = $0[i] } }
        return out
    }

    /// The v5 fixture: Kubernetes-shaped records with a value table and derived fields;
    /// written once with LOGPOND_WRITE_FIXTURES=1 when missing, read forever.
    func testFormatV5Fixture() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/segment-v5.lps")
        let sources = Self.k8sSources(600, seed: 42)
        if ProcessInfo.processInfo.environment["LOGPOND_WRITE_FIXTURES"] == "1" && !FileManager.default.fileExists(atPath: url.path) {
            try Data(Array(try Self.build(sources, tuning: SegmentTests.packEverything).data.buffer)).write(to: url)
        }
        let seg = try Segment.open(id: 1, path: url.path)
        XCTAssertEqual(seg.formatVersion, 5)
        XCTAssertEqual(seg.byteSize, 19872)
        XCTAssertGreaterThan(seg.valueTableRange.count, 0)
        XCTAssertTrue(Self.derived(seg).contains("kubernetes.namespace_name"))
        try Self.checkContent(seg, sources)
    }
}

/// The top-level member scanner and the table's encode/expand, byte for byte.
final class SourceValuesTests: XCTestCase {
    func spans(_ s: String) -> [String]? {
        let b = Array(s.utf8)
        var out: [String] = []
        let ok = b.withUnsafeBufferPointer { buf in SourceValues.members(buf) { out.append(String(decoding: b[$0..<$1], as: UTF8.self)) } }
        return ok ? out : nil
    }

    func testMembersFindsEachTopLevelValue() {
        XCTAssertEqual(spans(#"{"a":1,"b":"x\"}y","c":{"d":[1,{"e":"]"}]},"f":null}"#), ["1", #""x\"}y""#, #"{"d":[1,{"e":"]"}]}"#, "null"])
        XCTAssertEqual(spans(" { \"a\" : [ 1 , 2 ] ,\n\"b\":true } "), ["[ 1 , 2 ]", "true"])
        XCTAssertEqual(spans("{}"), [])
        // Escaped backslashes before a closing quote, an escaped quote after escaped backslashes.
        XCTAssertEqual(spans(#"{"a":"\\","b":"x\\\"y","c":""}"#), [#""\\""#, #""x\\\"y""#, #""""#])
        for bad in ["", "[1]", "{\"a\":1", "{\"a\" 1}", "{\"a\":1}x", "{\"a\":\"open}", "{\"a\":{\"b\":1}", "{\"a\":}", "{a:1}"] {
            XCTAssertNil(spans(bad), bad)
        }
    }

    func testEncodeExpandRoundTripsAndSizes() throws {
        let pod = #"{"pod_name":"web-1","namespace_name":"default"}"#
        let docs = (0..<10).map { i in Array(#"{"n":\#(i),"kubernetes":\#(pod),"log":"\#(i % 2 == 0 ? "same message text here" : "other \(i)")"}"#.utf8) }
            + [Array("{\"k\":\"\u{01}\",\"kubernetes\":\(pod)}".utf8)]   // holds the marker byte: stored as it came
        var b = SourceValues.Builder()
        for d in docs { b.observe(d) }
        b.chooseValues()
        // The pod object (11 times, but once in the marked source) and the even message (5 times).
        XCTAssertEqual(b.values.count, 2)
        let encoded = docs.map { b.encode($0) }
        XCTAssertNil(encoded[10])
        XCTAssertEqual(encoded[1]?.count, docs[1].count - pod.utf8.count + 2)   // its message is short: only the pod
        // Doc 0: both values replaced by two-byte references.
        XCTAssertEqual(encoded[0]?.count, docs[0].count - pod.utf8.count - #""same message text here""#.utf8.count + 4)
        let plain = try XCTUnwrap(b.tableBytesPlain)
        XCTAssertEqual(plain.count, 2 + pod.utf8.count + #""same message text here""#.utf8.count)
        let table = try SourceValues.Table(plain: plain, count: b.values.count)
        for (d, e) in zip(docs, encoded) {
            guard let e else { continue }
            var out: [UInt8] = []
            try e.withUnsafeBytes { try table.expand($0, into: &out) }
            XCTAssertEqual(out, d)
        }
        var out: [UInt8] = []
        XCTAssertThrowsError(try [UInt8]([0x7B, 0x01, 0x05, 0x7D]).withUnsafeBytes { try table.expand($0, into: &out) })
        XCTAssertThrowsError(try SourceValues.Table(plain: [5, 1, 2], count: 1))
    }

    /// Random objects: whatever the scanner replaces, expansion gives the source back.
    func testRandomSourcesRoundTrip() throws {
        var g = SplitMix(seed: 77)
        let values = [#""a fairly long repeated string value""#, #"{"nested":{"x":[1,2,3]},"s":"\\\"q"}"#, "12345678901234567890", #""short""#, "[true,false,null]"]
        let docs: [[UInt8]] = (0..<500).map { _ in
            let n = Int(g.next() % 5)
            let members = (0..<n).map { k in "\"m\(k)\":" + values[Int(g.next() % UInt64(values.count))] }
            return Array(("{" + members.joined(separator: g.next() % 2 == 0 ? "," : " , ") + "}").utf8)
        }
        var b = SourceValues.Builder()
        for d in docs { b.observe(d) }
        b.chooseValues()
        // The table holds what encoding used: read it after the sources, as the writer does.
        let encoded = docs.map { b.encode($0) }
        let table = try SourceValues.Table(plain: try XCTUnwrap(b.tableBytesPlain), count: b.values.count)
        var replaced = 0
        for (d, e) in zip(docs, encoded) {
            guard let e else { continue }
            replaced += 1
            XCTAssertLessThan(e.count, d.count)
            var out: [UInt8] = []
            try e.withUnsafeBytes { try table.expand($0, into: &out) }
            XCTAssertEqual(out, d)
        }
        XCTAssertGreaterThan(replaced, 300)
    }
}
