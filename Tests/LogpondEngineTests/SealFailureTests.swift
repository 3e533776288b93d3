import XCTest
@testable import LogpondEngine

/// A buffer whose seal fails (issue 16: a 70 KB field name made the sealed segment impossible
/// to reopen) must hold back the flush: the flushed point never passes documents that were not
/// written, so the translog keeps them and a restart brings them back.
final class SealFailureTests: XCTestCase {
    func testAFailedSealHoldsTheFlushAndTheTranslog() async throws {
        let dir = NSTemporaryDirectory() + "logpond-seal-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let s = try Store(options: StoreOptions(dataPath: dir), log: { _ in })
            let ops = (0..<20).map { i in WriteOp(action: .index, index: "logs", id: nil, source: Array(#"{"n":\#(i)}"#.utf8)) }
            _ = try await s.write(ops)
            let idx = try XCTUnwrap(s.index(named: "logs"))
            // A buffer no mapping check could have let in, as one sealed before the check existed.
            var m = Mapping()
            m.add(String(repeating: "k", count: 70_000), FieldMapping(type: .keyword))
            let bad = SegmentBuild.index([Array(#"{"\#(String(repeating: "k", count: 70_000))":"v"}"#.utf8)], mapping: m)
            XCTAssertGreaterThan(bad.count, 0)
            idx.lock.withLock { idx.sealing.append(SealingBuffer(bad)) }
            let before = idx.flushedSeq
            XCTAssertThrowsError(try s.flushAllBlocking())
            XCTAssertEqual(idx.flushedSeq, before, "the flushed point moved past a buffer it did not write")
            XCTAssertThrowsError(try s.flushAllBlocking(), "a later flush skipped the stuck buffer")
            XCTAssertEqual(idx.flushedSeq, before)
            s.translog.close()
        }
        let s = try Store(options: StoreOptions(dataPath: dir), log: { _ in })
        XCTAssertEqual(s.index(named: "logs")?.stats.docs, 20)
        s.shutdown()
    }

    /// While flushes keep failing the buffers cannot drain: a write past the pressure limit is
    /// refused at once (it had waited through retries backing off to 30 s, past a client's
    /// timeout), and a request of deletes goes on, since deleting is how room comes back.
    func testWritesAreNotHeldBehindAFlushThatKeepsFailing() async throws {
        let dir = NSTemporaryDirectory() + "logpond-seal-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = StoreOptions(dataPath: dir)
        o.flushBufferedBytes = 256 << 10
        let s = try Store(options: o, log: { _ in })
        defer { s.shutdown() }
        _ = try await s.write([WriteOp(action: .index, index: "logs", id: "first", source: Array(#"{"n":0}"#.utf8))])
        let idx = try XCTUnwrap(s.index(named: "logs"))
        // Segment files can no longer be written (as on a full disk; root ignores permissions,
        // so the index folder becomes a file): sealed segments stay in memory and count.
        try FileManager.default.moveItem(atPath: idx.dir, toPath: idx.dir + ".away")
        XCTAssertTrue(FileManager.default.createFile(atPath: idx.dir, contents: Data()))
        s.startBackground()
        let line = Array((#"{"log":""# + String(repeating: "x", count: 2000) + #""}"#).utf8)
        var refused = false
        for round in 0..<200 where !refused {
            let ops = (0..<500).map { i in WriteOp(action: .index, index: "logs", id: "d\(round)-\(i)", source: line) }
            let started = Date()
            do { _ = try await s.write(ops) } catch EngineError.rejected(let why) {
                XCTAssertTrue(why.contains("flushing them is failing"), why)
                XCTAssertLessThan(Date().timeIntervalSince(started), 5, "a write waited behind a failing flush")
                refused = true
            }
        }
        XCTAssertTrue(refused, "the buffers never passed the pressure limit")
        XCTAssertGreaterThan(s.totalBufferedBytes, s.bufferPressureBytes)
        let started = Date()
        let r = try await s.write([WriteOp(action: .delete, index: "logs", id: "first", source: [])])
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "a delete waited behind a failing flush")
        guard case .success = r[0] else { return XCTFail("the delete failed: \(r[0])") }
    }
}
