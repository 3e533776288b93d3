import XCTest
@testable import LogpondEngine

/// The tiered merge policy on segment sizes alone.
final class MergePolicyTests: XCTestCase {
    let mb = 1 << 20

    func testTenSimilarSegmentsMergeAndAMergedOneWaitsForItsTier() {
        XCTAssertEqual(MergePolicy.tier(Array(repeating: mb, count: 9)), [])
        // Nine write-buffer segments of 1–1.9 MB and one merged segment of 12 MB: not a tier.
        var sizes = (0..<9).map { mb + $0 * mb / 10 } + [12 * mb]
        XCTAssertEqual(MergePolicy.tier(sizes), [])
        sizes.append(mb + mb / 2)
        XCTAssertEqual(Set(MergePolicy.tier(sizes)), Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 10]))
        // Ten merged segments form the next tier.
        XCTAssertEqual(MergePolicy.tier(Array(repeating: 12 * mb, count: 10) + [mb]).count, 10)
    }

    func testTinySegmentsCountAsTheFloorAndOutliersDoNotBlockATier() {
        // Time-triggered flushes: tiny segments merge with ones up to three floors.
        XCTAssertEqual(MergePolicy.tier([1000, 2000, 700_000, 600_000, 5000, 9000, 300_000, 10, 400_000, 100_000]).count, 10)
        // One tiny segment and ten of 2 MB: the ten merge, the tiny one waits.
        let sizes = [1000] + Array(repeating: 2 * mb, count: 10)
        XCTAssertEqual(Set(MergePolicy.tier(sizes)), Set(1...10))
    }

    func testSegmentsAtTheMergedSizeLimitAreLeftAlone() {
        let big = Int(Limits.maxMergedSegmentBytes) / Limits.mergeFactor
        XCTAssertEqual(MergePolicy.tier(Array(repeating: big, count: 12)), [])
    }
}

/// The write buffers' chunked arrays against plain arrays, across chunk boundaries.
final class ChunkedArrayTests: XCTestCase {
    func testAppendSubscriptAndOrderMatchAnArray() {
        var g = SplitMix(seed: 5)
        for n in [0, 1, ChunkedArray<UInt64>.chunkSize - 1, ChunkedArray<UInt64>.chunkSize, 3 * ChunkedArray<UInt64>.chunkSize + 17] {
            let c = ChunkedArray<UInt64>()
            var a: [UInt64] = []
            for _ in 0..<n { let v = g.next(); c.append(v); a.append(v) }
            XCTAssertEqual(c.count, a.count)
            XCTAssertEqual(c.isEmpty, a.isEmpty)
            var seen: [UInt64] = []
            c.forEach { i, v in XCTAssertEqual(i, seen.count); seen.append(v) }
            XCTAssertEqual(seen, a)
            for i in stride(from: 0, to: n, by: 997) { XCTAssertEqual(c[i], a[i]) }
            XCTAssertEqual(c.chunkCount, (n + ChunkedArray<UInt64>.chunkSize - 1) / ChunkedArray<UInt64>.chunkSize)
        }
    }

    /// Runs of any length (none, one, across one or several chunk boundaries) land as the same
    /// elements one by one would, in chunks of the same size.
    func testAppendingRunsMatchesAppendingOneByOne() {
        var g = SplitMix(seed: 8)
        let size = ChunkedArray<UInt64>.chunkSize
        let c = ChunkedArray<UInt64>(), one = ChunkedArray<UInt64>()
        var a: [UInt64] = []
        for n in [0, 1, 5, size - 7, 3, size, 2 * size + 5, 0, 11] {
            let run = (0..<n).map { _ in g.next() }
            c.append(n) { run[$0] }
            for v in run { one.append(v) }
            a += run
        }
        XCTAssertEqual(c.count, a.count)
        XCTAssertEqual(c.flattened(), a)
        XCTAssertEqual(c.chunkCount, (a.count + size - 1) / size)
        XCTAssertEqual(c.chunkCount, one.chunkCount)
        for i in stride(from: 0, to: a.count, by: 1013) { XCTAssertEqual(c[i], a[i]) }
    }
}

/// Indexing pressure: a waiter wakes at the next flush, never misses one that already ran.
final class IndexingPressureTests: XCTestCase {
    func testWaiterWakesOnTheNextFlushAndNeverMissesOne() async {
        let p = IndexingPressure(limitBytes: 1 << 20)
        let seen = p.flushCount
        p.flushed()
        await p.waitForFlush(after: seen)          // a flush since `seen`: returns at once
        let now = p.flushCount
        XCTAssertEqual(now, seen + 1)
        let woke = expectation(description: "woken by the next flush")
        Task { await p.waitForFlush(after: now); woke.fulfill() }
        try? await Task.sleep(nanoseconds: 50_000_000)
        p.flushed()
        await fulfillment(of: [woke], timeout: 5)
    }

    /// Without a running background flush, writes are never held (nothing would wake them).
    func testWritesPassWhenNoFlushRuns() async throws {
        let store = try Store(options: StoreOptions(dataPath: NSTemporaryDirectory() + "/lp-pressure-\(UUID().uuidString)"))
        XCTAssertFalse(store.pressure.active)
        let src = Array(#"{"@timestamp":"2024-01-15T10:00:00Z","log":"x"}"#.utf8)
        let ops = (0..<3).map { _ in WriteOp(action: .index, index: "logs", id: nil, source: src) }
        let results = try await store.write(ops)
        XCTAssertEqual(results.count, 3)
    }
}
