import XCTest
@testable import LogpondEngine

/// Watermarks, sizes, breakers and indexing pressure: the parts of issue 15 that are pure
/// arithmetic (the full disk itself is Tests/integration/test_disk_full.py on a real tmpfs).
final class DiskAndPressureTests: XCTestCase {
    func testWatermarkParsingFollowsElasticsearch() {
        XCTAssertEqual(DiskWatermarks.parse("85%"), .usedPercent(85))
        XCTAssertEqual(DiskWatermarks.parse("0.9"), .usedPercent(90))
        XCTAssertEqual(DiskWatermarks.parse("500mb"), .freeBytes(500 << 20))
        XCTAssertEqual(DiskWatermarks.parse("1.5gb"), .freeBytes(Int64(1.5 * Double(1 << 30))))
        XCTAssertEqual(DiskWatermarks.parse("1024"), .freeBytes(1024))
        for bad in ["101%", "-1%", "abc", "nan%", "-5mb", "99999999999tb", ""] {
            XCTAssertNil(DiskWatermarks.parse(bad), bad)
        }
    }

    func testWatermarksMustBeOneKindAndInOrder() {
        var w = DiskWatermarks()
        XCTAssertNil(w.problem())
        w.high = .usedPercent(80)
        XCTAssertNotNil(w.problem())
        w = DiskWatermarks()
        w.low = .freeBytes(1 << 30)
        XCTAssertNotNil(w.problem(), "percentages and sizes mixed")
        w.high = .freeBytes(512 << 20); w.floodStage = .freeBytes(100 << 20)
        XCTAssertNil(w.problem())
        w.floodStage = .freeBytes(600 << 20)
        XCTAssertNotNil(w.problem(), "flood stage must leave less free than high")
    }

    func testLevelsOfAUsage() {
        let w = DiskWatermarks()
        func usage(usedPercent p: Int64) -> DiskUsage { DiskUsage(total: 1000, available: 1000 - p * 10, free: 1000 - p * 10) }
        XCTAssertEqual(w.level(usage(usedPercent: 50)), .ok)
        XCTAssertEqual(w.level(usage(usedPercent: 85)), .ok, "strictly past the mark, as Elasticsearch compares")
        XCTAssertEqual(w.level(usage(usedPercent: 86)), .low)
        XCTAssertEqual(w.level(usage(usedPercent: 91)), .high)
        XCTAssertEqual(w.level(usage(usedPercent: 96)), .floodStage)
        var bytes = DiskWatermarks()
        bytes.low = .freeBytes(300); bytes.high = .freeBytes(200); bytes.floodStage = .freeBytes(100)
        XCTAssertEqual(bytes.level(DiskUsage(total: 1000, available: 350, free: 350)), .ok)
        XCTAssertEqual(bytes.level(DiskUsage(total: 1000, available: 250, free: 250)), .low)
        XCTAssertEqual(bytes.level(DiskUsage(total: 1000, available: 99, free: 99)), .floodStage)
        var off = DiskWatermarks(); off.enabled = false
        XCTAssertEqual(off.level(usage(usedPercent: 100)), .ok)
        // A disk that reports nothing is not a division by zero.
        XCTAssertEqual(DiskUsage(total: 0, available: 0, free: 0).usedPercent, 0)
    }

    func testByteSizes() {
        XCTAssertEqual(ByteSize.parse("100mb"), 100 << 20)
        XCTAssertEqual(ByteSize.parse("7"), 7)
        XCTAssertEqual(ByteSize.parse("2KB"), 2048)
        XCTAssertNil(ByteSize.parse("9223372036854775807kb"), "overflow is refused, not a trap")
        XCTAssertNil(ByteSize.parse("-1"))
        XCTAssertEqual(ByteSize.format(1536 << 20), "1.5gb")
        XCTAssertEqual(ByteSize.format(512), "512b")
        XCTAssertEqual(MemoryBudget.parse("10%", budget: 1000), 100)
        XCTAssertEqual(MemoryBudget.parse("64mb", budget: 1000), 64 << 20)
        XCTAssertNil(MemoryBudget.parse("200%", budget: 1000))
        XCTAssertTrue((Limits.memoryBudgetMinBytes...Limits.memoryBudgetMaxBytes).contains(MemoryBudget.defaultBytes))
    }

    func testBreakerTripsBeforeTheLimitAndGivesEverythingBack() throws {
        let b = MemoryBreaker(name: "request", limitBytes: 1000)
        let a = MemoryAccount(b)
        try a.set(600, what: "<agg [x]>")
        let other = MemoryAccount(b)
        XCTAssertThrowsError(try other.add(500, what: "<agg [y]>")) { e in
            guard case EngineError.circuitBreaking(let name, let wanted, let limit, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(name, "request"); XCTAssertEqual(wanted, 1100); XCTAssertEqual(limit, 1000)
        }
        XCTAssertEqual(b.stats.estimated, 600, "a trip adds nothing")
        XCTAssertEqual(b.stats.tripped, 1)
        try a.set(200, what: "<agg [x]>")          // an estimate that shrinks gives back
        XCTAssertEqual(b.stats.estimated, 200)
        try other.add(700, what: "<agg [y]>")
        a.close(); other.close()
        XCTAssertEqual(b.stats.estimated, 0)
        XCTAssertThrowsError(try MemoryAccount(b).add(Int64.max, what: "huge"), "overflowing sums trip, never trap")
    }

    func testLimitsNearInt64MaxFromTheConfigCannotTrap() throws {
        XCTAssertEqual(MemoryBudget.share(1.0, of: Int64.max), Int64(9.0e18))
        XCTAssertEqual(MemoryBudget.share(0.1, of: 0), 0)
        let p = IndexingPressure(limitBytes: Int64.max)
        try p.begin(Int64.max - 10)
        XCTAssertThrowsError(try p.begin(100), "the sum overflows: refused, not a trap")
        XCTAssertEqual(Limits.retryDelayMillis(afterFailures: 1), 500)
        XCTAssertEqual(Limits.retryDelayMillis(afterFailures: 3), 2000)
        XCTAssertEqual(Limits.retryDelayMillis(afterFailures: 1_000_000), 30_000)
        XCTAssertEqual(Limits.retryDelayMillis(afterFailures: 0), 500)
    }

    func testIndexingPressureRefusesPastTheLimitAndCountsBack() throws {
        let p = IndexingPressure(limitBytes: 100)
        try p.begin(60)
        XCTAssertThrowsError(try p.begin(50)) { e in
            guard case EngineError.rejected(let r) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(r.hasPrefix("rejected execution of coordinating operation [coordinating_and_primary_bytes=60"), r)
        }
        try p.begin(40)
        p.end(60); p.end(40)
        XCTAssertEqual(p.stats.current, 0)
        XCTAssertEqual(p.stats.total, 100)
        XCTAssertEqual(p.stats.rejections, 1)
    }

    func testDiskMonitorBlocksOnAFullWriteAndKeepsTheReserve() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lp-disk-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Watermarks of a few free megabytes, so the machine's own usage cannot decide the test.
        var w = DiskWatermarks()
        w.low = .freeBytes(3 << 20); w.high = .freeBytes(2 << 20); w.floodStage = .freeBytes(1 << 20)
        let m = DiskMonitor(dataPath: dir, watermarks: w, reserveBytes: 256 * 1024, log: { _, _ in })
        XCTAssertEqual(m.check(), .ok)
        XCTAssertFalse(m.isBlocked)
        XCTAssertTrue(m.hasReserve)
        let size = (try FileManager.default.attributesOfItem(atPath: dir + "/" + FileNames.diskReserve)[.size] as? NSNumber)?.intValue
        XCTAssertEqual(size, 256 * 1024)
        // A write met a full disk: blocked at once, the reserve given up, and the block holds
        // until a flush succeeds again, whatever the percentages say.
        XCTAssertTrue(m.noteFull(dir + "/x"), "the reserve was there to give up")
        XCTAssertTrue(m.isBlocked)
        XCTAssertFalse(m.noteFull(dir + "/x"), "nothing left to give up")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + FileNames.diskReserve))
        m.check()
        XCTAssertTrue(m.isBlocked, "usage is fine but no write has succeeded since")
        m.writesRecovered()
        XCTAssertFalse(m.isBlocked)
        XCTAssertTrue(m.hasReserve, "made again below the high watermark")
    }
}
