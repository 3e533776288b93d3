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
}
