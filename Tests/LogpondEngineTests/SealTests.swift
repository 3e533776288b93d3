import Foundation
import XCTest
@testable import LogpondEngine

/// The write buffer's seal (issue 17): the token cache and the regrouping of occurrences change
/// no byte of what is written, whatever the arrival order, repetition and deletions.
final class SealTests: XCTestCase {
    /// Seed-like records: per pod labels and annotations repeated across its records (cache
    /// hits), messages repeated and unique, arrays (position gaps), values shorter and longer
    /// than the cache's bounds, timestamps out of arrival order.
    func records(_ n: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix(seed: seed)
        let words = ["error", "connection", "reset", "by", "peer", "GET", "/healthz", "200", "took", "ms", "user", "id", "a"]
        let pods = (0..<7).map { p in
            (name: "api-\(p)-x\(p * 37)", created: "{\"kind\":\"SerializedReference\",\"uid\":\"c3e1847c-\(p)\",\"name\":\"api-\(p)\"}",
             hash: "\(5277084664 + p)")
        }
        var out: [[UInt8]] = []
        for i in 0..<n {
            let pod = pods[Int(rng.next() % UInt64(pods.count))]
            let len = Int(rng.next() % 12)
            var msg = (0..<len).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ")
            if rng.next() % 3 == 0 { msg = "request \(i) served" }
            if rng.next() % 20 == 0 { msg = String(repeating: "long ", count: 500) + "\(i)" }
            let ts = 1_705_312_800_000 + Int64(rng.next() % 100_000)
            let rec: [String: Any] = [
                "@timestamp": DateParser.format(millis: ts),
                "log": msg,
                "tags": rng.next() % 4 == 0 ? [msg, "x", pod.name] : ["x"],
                "kubernetes": ["pod_name": pod.name, "labels": ["controller-revision-hash": pod.hash],
                               "annotations": ["kubernetes_io/created-by": pod.created]],
            ]
            out.append([UInt8](try! JSONSerialization.data(withJSONObject: rec, options: [.sortedKeys])))
        }
        return out
    }

    func testTokenCacheChangesNoByteOfTheSegment() throws {
        for seed in [1, 2, 3] as [UInt64] {
            let docs = records(3000, seed: seed)
            // The object memo off in both: a replayed object skips the token cache too.
            let off = SegmentBuilder(), on = SegmentBuilder()
            off.cachesTokens = false
            off.objects.disable(); on.objects.disable()
            let cached = SegmentBuild.index(docs, mapping: Mapping(), into: on)
            let plain = SegmentBuild.index(docs, mapping: Mapping(), into: off)
            // Deletions too: the seal drops deleted documents' occurrences.
            for d in stride(from: 5, to: 3000, by: 97) { cached.delete(doc: Int32(d)); plain.delete(doc: Int32(d)) }
            let a = try XCTUnwrap(SegmentBuild.write(cached, tuning: .seal))
            let b = try XCTUnwrap(SegmentBuild.write(plain, tuning: .seal))
            XCTAssertEqual(a.count, b.count, "seed \(seed)")
            XCTAssertTrue(a == b, "seed \(seed): the token cache changed the segment")
            // And the cache was used: the repeated annotation hit it (seven pods, 3,000 records).
            let annotation = try XCTUnwrap(cached.fields["kubernetes.annotations.kubernetes_io/created-by"])
            XCTAssertTrue(annotation.tokenCache.enabled)
            XCTAssertGreaterThan(annotation.tokenCache.hits, 2900)
        }
    }

    /// A field whose values never repeat stops caching after `Limits.tokenCacheProbe` lookups;
    /// one whose values repeat keeps it.
    func testTokenCacheTurnsItselfOffForUniqueValues() throws {
        let docs = (0..<(Limits.tokenCacheProbe + 100)).map { i in
            Array(#"{"msg":"request \#(i) served in \#(i * 7) ms","host":"node-\#(i % 4) of the cluster"}"#.utf8)
        }
        let b = SegmentBuild.index(docs, mapping: Mapping())
        let msg = try XCTUnwrap(b.fields["msg"]), host = try XCTUnwrap(b.fields["host"])
        XCTAssertFalse(msg.tokenCache.enabled)
        XCTAssertEqual(msg.tokenCache.hits, 0)
        XCTAssertTrue(host.tokenCache.enabled)
        XCTAssertEqual(host.tokenCache.hits, docs.count - 4)
    }

    func testOccurrencesRegroupedInRunsEqualTheGeneralPath() throws {
        let docs = records(2000, seed: 9)
        let b = SegmentBuild.index(docs, mapping: Mapping())
        var rng = SplitMix(seed: 4)
        // Any new order over the live docs, some deleted (newID -1).
        var order = (0..<Int32(b.docs.count)).filter { $0 % 13 != 0 }
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        var newID = [Int32](repeating: -1, count: b.docs.count)
        for (n, old) in order.enumerated() { newID[Int(old)] = Int32(n) }
        for name in ["log", "tags", "kubernetes.pod_name", "_id"] {
            let f = try XCTUnwrap(b.fields[name], name)
            let runs = GroupedOccurrences(f, newID: newID, order: order)
            let general = GroupedOccurrences(f, newID: newID, order: order, assumeRuns: false)
            XCTAssertEqual(runs.termStart, general.termStart, name)
            XCTAssertEqual(runs.docs, general.docs, name)
            XCTAssertEqual(runs.positions, general.positions, name)
            // Ascending docs per term, every live occurrence kept, positions rising within a doc.
            var kept = 0
            for t in 0..<f.terms.count {
                var entries: [SegmentEncoder.Entry] = []
                runs.entries(term: t, into: &entries)
                XCTAssertEqual(entries.map(\.doc), entries.map(\.doc).sorted(), name)
                XCTAssertEqual(Set(entries.map(\.doc)).count, entries.count, name)
                for e in entries {
                    kept += Int(e.freq)
                    if f.hasPositions && e.freq > 1 {
                        let p = Array(runs.positions[e.posStart..<(e.posStart + Int(e.freq))])
                        XCTAssertEqual(p, p.sorted(), name)
                    }
                }
            }
            var live = 0
            f.occurrences.forEach { _, o in if newID[Int(UInt32(truncatingIfNeeded: o))] >= 0 { live += 1 } }
            XCTAssertEqual(kept, live, name)
        }
    }

    /// The dictionary's order: term ids sorted by an eight-byte key first give the bytewise order
    /// of the terms, for terms sharing long prefixes, shorter than the key, holding zero bytes
    /// (where padding and a real zero meet), empty, and high bytes.
    func testSortedTermIDsAreInBytewiseOrderProperty() {
        var rng = SplitMix(seed: 17)
        let alphabet: [UInt8] = [0, 1, 0x2e, 0x61, 0x62, 0x7f, 0x80, 0xff]
        for round in 0..<200 {
            var hash = TermHash()
            var terms: [[UInt8]] = []
            let prefix = [UInt8]("kube-system-pod-".utf8).prefix(Int(rng.next() % 17))
            for _ in 0..<(1 + Int(rng.next() % 300)) {
                var t = round % 2 == 0 ? Array(prefix) : []
                for _ in 0..<Int(rng.next() % 12) { t.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
                let id = t.withUnsafeBufferPointer { hash.intern($0) }
                if Int(id) == terms.count { terms.append(t) }
            }
            let got = hash.sortedIDs().map { terms[Int($0)] }
            let want = terms.sorted { $0.lexicographicallyPrecedes($1) }
            XCTAssertEqual(got, want, "round \(round)")
        }
    }

    /// A term's postings are encoded in pieces of `Limits.postingsScratchBytes`: a term in more
    /// documents than one piece holds, and a document whose positions alone pass the budget,
    /// decode to exactly what was indexed.
    func testPostingsLongerThanOnePieceRoundTrip() throws {
        let perPiece = Limits.postingsScratchBytes / 5
        var m = Mapping()
        m.add("msg", FieldMapping(type: .text))
        let many = perPiece + 1_000
        var sources: [[UInt8]] = (0..<many).map { i in Array(#"{"msg":"w x\#(i % 3)"}"#.utf8) }
        let repeats = perPiece + 7
        sources.append(Array(("{\"msg\":\"" + Array(repeating: "w", count: repeats).joined(separator: " ") + "\"}").utf8))
        let b = SegmentBuild.index(sources, mapping: m)
        let out = try XCTUnwrap(SegmentWriter.write(b, tuning: .seal))
        let seg = try Segment.inMemory(id: 1, bytes: out.bytes)
        let dict = try XCTUnwrap(try seg.dictionary("msg"))
        let w = try dict.docsAndPositions(try XCTUnwrap(dict.find("w")))
        XCTAssertEqual(w.docs.count, many + 1)
        var want: [(doc: Int32, freq: Int32)] = []
        for old in 0...many { want.append((out.newID[old], old == many ? Int32(repeats) : 1)) }
        want.sort { $0.doc < $1.doc }
        XCTAssertEqual(w.docs, want.map(\.doc))
        XCTAssertEqual(w.freqs, want.map(\.freq))
        var at = 0
        for (doc, freq) in zip(w.docs, w.freqs) {
            let expected = freq == 1 ? [Int32(0)] : (0..<Int32(repeats)).map { $0 }
            XCTAssertEqual(Array(w.positions[at..<(at + Int(freq))]), expected, "doc \(doc)")
            at += Int(freq)
        }
        XCTAssertEqual(at, w.positions.count)
        let x1 = try dict.docs(try XCTUnwrap(dict.find("x1")))
        XCTAssertEqual(x1.count, (0..<many).filter { $0 % 3 == 1 }.count)
    }
}
