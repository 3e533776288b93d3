import Foundation
import XCTest
@testable import LogpondEngine

/// The write buffer's object memo (issue 17): replaying a repeated object changes no byte of
/// the segment, whatever else the document holds.
final class ObjectMemoTests: XCTestCase {
    /// Records of a few pods whose `kubernetes` objects repeat, with what could make a replay
    /// wrong: arrays (position gaps), numbers, booleans and dates (doc values), empty and null
    /// values, a root-level dotted key for a field of the object before or after it (one
    /// without a token, which still moves the next value's positions), the
    /// object twice in one record, and fields that appear only in later records (the mapping
    /// grows while the buffer fills).
    func records(_ n: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix(seed: seed)
        var out: [[UInt8]] = []
        for i in 0..<n {
            let p = Int(rng.next() % 6)
            var labels: [String: Any] = ["app": "api-\(p)", "controller-revision-hash": "\(5277084664 + p)"]
            if p % 2 == 0 { labels["pod-template-generation"] = p }               // a long
            if i > n / 2 { labels["late.field"] = "added after \(n / 2) records" }  // a new field later
            var kube: [String: Any] = [
                "pod_name": "api-\(p)-x\(p * 37)", "namespace_name": p < 3 ? "default" : "search",
                "labels": labels,
                "annotations": ["kubernetes_io/created-by": "{\"kind\":\"SerializedReference\",\"uid\":\"c3e1847c-\(p)\"}",
                                "prometheus.io/scrape": p % 3 == 0],                // a boolean
                "ports": [8080 + p, 9090],                                         // numbers in an array
                "names": ["first name \(p)", "second name", ""],                  // text in an array, one empty
                "created": DateParser.format(millis: 1_705_312_800_000 + Int64(p) * 1000), // a date
                "empty": "",
                "nothing": NSNull(),
            ]
            if p == 5 { kube["host"] = NSNull() }
            var text = "{\"@timestamp\":\"\(DateParser.format(millis: 1_705_312_800_000 + Int64(rng.next() % 100_000)))\",\"log\":\"request \(i) served\""
            let body = String(decoding: try! JSONSerialization.data(withJSONObject: kube, options: [.sortedKeys]), as: UTF8.self)
            switch rng.next() % 10 {
            case 0: text += ",\"kubernetes.pod_name\":\"dotted before\",\"kubernetes\":\(body)"
            case 1: text += ",\"kubernetes\":\(body),\"kubernetes.names\":\"dotted after\""
            case 2: text += ",\"kubernetes\":\(body),\"kubernetes\":\(body)"     // a duplicate key
            case 3: text += ",\"kubernetes.names\":\"!!\",\"kubernetes\":\(body)"  // no token, yet a position gap
            default: text += ",\"kubernetes\":\(body)"
            }
            out.append(Array((text + "}").utf8))
        }
        return out
    }

    func testObjectMemoChangesNoByteOfTheSegment() throws {
        // Dynamic mapping, and one where a field is text alone: dynamic strings get a keyword
        // multi-field, whose value alone would already refuse a replay after a dotted key.
        var textOnly = Mapping()
        textOnly.add("kubernetes", FieldMapping(type: .object))
        textOnly.add("kubernetes.names", FieldMapping(type: .text))
        for (seed, mapping) in [(1, Mapping()), (2, Mapping()), (3, textOnly), (4, textOnly)] as [(UInt64, Mapping)] {
            let docs = records(1500, seed: seed)
            let off = SegmentBuilder()
            off.objects.disable()
            let memo = SegmentBuild.index(docs, mapping: mapping)
            let plain = SegmentBuild.index(docs, mapping: mapping, into: off)
            XCTAssertEqual(memo.count, docs.count)
            for d in stride(from: 3, to: docs.count, by: 89) { memo.delete(doc: Int32(d)); plain.delete(doc: Int32(d)) }
            let a = try XCTUnwrap(SegmentBuild.write(memo, tuning: .seal))
            let b = try XCTUnwrap(SegmentBuild.write(plain, tuning: .seal))
            XCTAssertEqual(a.count, b.count, "seed \(seed)")
            XCTAssertTrue(a == b, "seed \(seed): the object memo changed the segment")
            // And it was used: six pods, two mapping versions, a few records it must refuse.
            XCTAssertGreaterThan(memo.objects.hits, 1300, "seed \(seed)")
            XCTAssertTrue(memo.objects.enabled)
            XCTAssertEqual(plain.objects.hits, 0)
        }
    }

    /// A replay is refused (and the record indexed value by value) when a field of the object
    /// already has a value in the document; a recording is dropped when one had a value before
    /// the object.
    func testReplayRefusedWhenAFieldAlreadyHasAValue() throws {
        let obj = #"{"a":"one two","b":"three","c":{"d":"four"}}"#
        let before = #"{"k.a":"zero","k":\#(obj)}"#, plainDoc = #"{"k":\#(obj)}"#
        let docs = [before, plainDoc, before, plainDoc].map { Array($0.utf8) }
        let memo = SegmentBuild.index(docs, mapping: Mapping())
        let off = SegmentBuilder()
        off.objects.disable()
        let plain = SegmentBuild.index(docs, mapping: Mapping(), into: off)
        XCTAssertTrue(try XCTUnwrap(SegmentBuild.write(memo)) == (try XCTUnwrap(SegmentBuild.write(plain))))
        // Document 0's recording was dropped, document 1's kept; document 2 found it and
        // could not replay it, document 3 replayed it.
        XCTAssertEqual(memo.objects.hits, 2)
        let a = try XCTUnwrap(memo.fields["k.a"])
        XCTAssertEqual(a.positions.flattened(), [0, 101, 102, 0, 1, 0, 101, 102, 0, 1])
        XCTAssertEqual(a.lengths.map(\.length), [3, 2, 3, 2])
    }

    /// A buffer remembers at most `Limits.objectMemoEntries` objects; the rest are indexed
    /// value by value, with the same segment as without the memo.
    func testMemoStopsRememberingAtItsLimit() throws {
        // Each object twice in a row: half the lookups hit, so the memo stays on.
        let distinct = Limits.objectMemoEntries + 300
        let docs = (0..<(2 * distinct)).map { i in
            Array(#"{"k":{"id":"o-\#(i / 2)","a":"x","b":"y","c":\#(i / 2 % 5)}}"#.utf8)
        }
        let memo = SegmentBuild.index(docs, mapping: Mapping())
        let off = SegmentBuilder()
        off.objects.disable()
        let plain = SegmentBuild.index(docs, mapping: Mapping(), into: off)
        XCTAssertTrue(memo.objects.enabled)
        XCTAssertEqual(memo.objects.entryCount, Limits.objectMemoEntries)
        XCTAssertEqual(memo.objects.hits, Limits.objectMemoEntries)
        XCTAssertTrue(try XCTUnwrap(SegmentBuild.write(memo)) == (try XCTUnwrap(SegmentBuild.write(plain))))
    }

    /// Objects that never repeat stop being remembered after `Limits.objectMemoProbe` lookups.
    func testMemoTurnsItselfOffForUniqueObjects() throws {
        let docs = (0..<(Limits.objectMemoProbe + 10)).map { i in
            Array(#"{"req":{"id":"r-\#(i)","path":"/x","status":200,"ms":\#(i % 7)}}"#.utf8)
        }
        let b = SegmentBuild.index(docs, mapping: Mapping())
        XCTAssertFalse(b.objects.enabled)
        XCTAssertEqual(b.objects.hits, 0)
        XCTAssertEqual(b.count, docs.count)
    }
}
