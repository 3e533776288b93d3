import XCTest
@testable import LogpondEngine

/// The shared caches' eviction: a hit makes an entry recent (stamped in place), so an
/// overflow evicts the entries nobody read since, and what is held stays within capacity.
final class ByteBoundedCacheTests: XCTestCase {
    func testAHitKeepsAnEntryThroughAnEviction() {
        let c = ByteBoundedCache<Int, String>(capacity: 400, name: "test")
        for k in 0..<4 { c.put(k, "v\(k)", cost: 100) }
        XCTAssertEqual(c.bytesUsed, 400)
        XCTAssertEqual(c.get(0), "v0")          // the oldest entry, read again
        c.put(4, "v4", cost: 100)               // over capacity: the older half by age goes
        XCTAssertEqual(c.get(0), "v0", "a read entry was evicted as if unread")
        // Ages 2…6 with entry 0 at 5: the cut is the median age (4), so 1, 2 and 3 go.
        XCTAssertNil(c.get(1)); XCTAssertNil(c.get(2)); XCTAssertNil(c.get(3))
        XCTAssertEqual(c.get(4), "v4")
        XCTAssertEqual(c.bytesUsed, 200)
        // A value over a quarter of the capacity is never kept.
        c.put(9, "big", cost: 101)
        XCTAssertNil(c.get(9))
    }
}
