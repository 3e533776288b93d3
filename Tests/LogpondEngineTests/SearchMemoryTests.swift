import Foundation
import XCTest
@testable import LogpondEngine

/// `logpond.search.memory_budget`: decoded structures are counted, and past the budget the
/// least recently searched segments give theirs back, to be decoded again with the same answers.
final class SearchMemoryTests: XCTestCase {
    /// What a search over the segment decodes: the text field's dictionary and the value table.
    func touch(_ seg: Segment) throws -> [Int32] {
        let dict = try XCTUnwrap(try seg.dictionary("log"))
        // The table itself: a document fetch may find its block in the shared block cache.
        _ = try seg.sourceValueTable()
        return try dict.docs(try XCTUnwrap(dict.find("short")))
    }

    func testLeastRecentlySearchedGiveBackFirst() throws {
        // A larger segment searched first, two smaller ones after it.
        let segs = try [1500, 1200, 1200].enumerated().map { try SegmentV5Tests.build(SegmentV5Tests.k8sSources($0.element, seed: UInt64(20 + $0.offset))) }
        // Budgets are counted from what other live segments of this process hold already.
        let before = DecodedBytes.total
        let answers = try segs.map { try touch($0) }
        let costs = segs.map { $0.decodedBytes }
        XCTAssertTrue(costs.allSatisfy { $0 > 0 }, "\(costs)")
        XCTAssertEqual(DecodedBytes.total - before, costs.reduce(0, +))

        // Room for all three: nothing is given back.
        let roomy = SearchMemory(budget: before + costs.reduce(0, +), residentFile: { 0 })
        XCTAssertEqual(roomy.searched([segs[0]]) + roomy.searched([segs[1]]) + roomy.searched([segs[2]]), 0)
        XCTAssertEqual(segs.map { $0.decodedBytes }, costs)

        // Room for the first two, and for the last two with a quarter to spare, not for all
        // three: the third search makes the first segment (searched longest ago) give back.
        for s in segs { s.forgetDecoded() }
        let budget = (before + costs[1] + costs[2]) * 4 / 3 + 1
        XCTAssertLessThan(budget, before + costs.reduce(0, +), "all three must not fit")
        XCTAssertLessThanOrEqual(before + costs[0] + costs[1], budget, "the first two must fit")
        let tight = SearchMemory(budget: budget, residentFile: { 0 })
        for (i, s) in segs.enumerated() {
            XCTAssertEqual(try touch(s), answers[i])
            XCTAssertEqual(tight.searched([s]), i == 2 ? 1 : 0, "search \(i)")
        }
        XCTAssertEqual(segs.map { $0.decodedBytes }, [0, costs[1], costs[2]])
        XCTAssertEqual(DecodedBytes.total - before, costs[1] + costs[2])

        // Searched again, it decodes again with the same answers.
        XCTAssertEqual(try touch(segs[0]), answers[0])
        XCTAssertEqual(segs[0].decodedBytes, costs[0])

        // No budget: everything searched gives its memory back at once.
        let none = SearchMemory(budget: 0, residentFile: { 0 })
        XCTAssertEqual(none.searched(segs), 3)
        XCTAssertEqual(segs.map { $0.decodedBytes }, [0, 0, 0])
        XCTAssertEqual(DecodedBytes.total, before)
        XCTAssertEqual(try segs.map { try touch($0) }, answers)
    }

    /// Resident file pages are read at most once per `Limits.searchMemoryFileCheckNanos` when
    /// under budget, and afresh whenever memory is being given back.
    func testResidentFilePagesReadAtMostOncePerInterval() throws {
        final class Reads: @unchecked Sendable { var n = 0 }
        let reads = Reads()
        let quiet = SearchMemory(budget: Int.max / 2, residentFile: { reads.n += 1; return 0 })
        let baseline = reads.n
        let t0 = Clock.now()
        for _ in 0..<2000 { quiet.searched([]) }
        let intervals = Int(Clock.elapsed(from: t0) / Limits.searchMemoryFileCheckNanos)
        XCTAssertGreaterThanOrEqual(reads.n - baseline, 1)
        XCTAssertLessThanOrEqual(reads.n - baseline, intervals + 2, "\(reads.n - baseline) reads in \(intervals) intervals")

        // Over budget through file pages alone: giving back reads afresh, even right after a
        // reading the under-budget check would have reused.
        let seg = try SegmentV5Tests.build(SegmentV5Tests.k8sSources(300, seed: 8))
        // Each reading finds a megabyte more than the one before (the first is the baseline).
        let busy = SearchMemory(budget: 0, residentFile: { reads.n += 1; return reads.n << 20 })
        busy.searched([seg])
        let afterFirst = reads.n
        busy.searched([seg])
        XCTAssertGreaterThan(reads.n, afterFirst, "the second search's giving back read the pages again")
    }

    /// A merge dropping one field's structures, and a closed segment, take their bytes off the count.
    func testDroppedAndClosedSegmentsUncount() throws {
        let before = DecodedBytes.total
        var seg: Segment? = try SegmentV5Tests.build(SegmentV5Tests.k8sSources(800, seed: 4))
        _ = try seg!.dictionary("log"); _ = try seg!.norms("log")
        let withLog = seg!.decodedBytes
        _ = try seg!.dictionary("kubernetes.pod_name")
        XCTAssertGreaterThan(seg!.decodedBytes, withLog)
        seg!.dropCaches(field: "kubernetes.pod_name")
        XCTAssertEqual(seg!.decodedBytes, withLog)
        XCTAssertEqual(DecodedBytes.total - before, withLog)
        seg = nil
        XCTAssertEqual(DecodedBytes.total, before)
    }

    /// The file pages the budget counts: `/proc/self/statm`'s third field in bytes.
    func testResidentFileBytesReadsStatm() throws {
        let text = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        let pages = try XCTUnwrap(Int(text.split(separator: " ")[2]))
        let read = SearchMemory.residentFileBytes()
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        XCTAssertGreaterThan(read, 0)
        XCTAssertEqual(read % page, 0)
        // Read twice in a row: equal but for pages faulted in between.
        XCTAssertLessThan(abs(read - pages * page), 4 << 20)
    }
}
