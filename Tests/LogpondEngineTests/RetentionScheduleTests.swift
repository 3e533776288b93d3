import XCTest
@testable import LogpondEngine

/// When the retention policies will delete an index (the indices page's column).
final class RetentionScheduleTests: XCTestCase {
    let day: Int64 = 86_400_000

    func testEarliestPolicyWinsAndEachSourceAges() throws {
        var cfg = RetentionConfig()
        cfg.policies = [RetentionPolicy(pattern: "logstash-*", maxAgeMillis: 30 * day),
                        RetentionPolicy(pattern: "logstash-2026.*", maxAgeMillis: 7 * day),
                        RetentionPolicy(pattern: "audit-*", maxAgeMillis: 10 * day, source: .creationDate)]
        let named = try XCTUnwrap(DateParser.parseISO("2026-12-01"))
        let a = RetentionPlanner.schedule(.init(name: "logstash-2026.12.01", creationDate: 5, bytes: 1), config: cfg)
        XCTAssertEqual(a, .init(pattern: "logstash-2026.*", maxAgeMillis: 7 * day, source: .name, deleteAfter: named + 7 * day))
        let b = RetentionPlanner.schedule(.init(name: "audit-x", creationDate: 1_000, bytes: 1), config: cfg)
        XCTAssertEqual(b?.deleteAfter, 1_000 + 10 * day)
        XCTAssertEqual(b?.source, .creationDate)
        // No date in the name for a by-name policy, or no policy: never.
        XCTAssertNil(RetentionPlanner.schedule(.init(name: "logstash-current", creationDate: 0, bytes: 1), config: cfg))
        XCTAssertNil(RetentionPlanner.schedule(.init(name: "other", creationDate: 0, bytes: 1), config: cfg))
    }

    func testScheduleAgreesWithPlanAndSaturates() throws {
        var cfg = RetentionConfig()
        cfg.policies = [RetentionPolicy(pattern: "*", maxAgeMillis: 3 * day, source: .creationDate)]
        let c = RetentionPlanner.Candidate(name: "i", creationDate: 100 * day, bytes: 1)
        let at = try XCTUnwrap(RetentionPlanner.schedule(c, config: cfg)).deleteAfter
        XCTAssertTrue(RetentionPlanner.plan([c], config: cfg, now: at).isEmpty, "at deleteAfter the age is not yet past")
        XCTAssertEqual(RetentionPlanner.plan([c], config: cfg, now: at + 1).map(\.name), ["i"])
        cfg.policies[0].maxAgeMillis = Int64.max
        XCTAssertEqual(RetentionPlanner.schedule(c, config: cfg)?.deleteAfter, Int64.max)
        XCTAssertFalse(RetentionPlanner.underBudget("i", config: cfg))
        cfg.maxTotalBytes = 10
        cfg.budgetPattern = "logstash-*"
        XCTAssertFalse(RetentionPlanner.underBudget("i", config: cfg))
        XCTAssertTrue(RetentionPlanner.underBudget("logstash-1", config: cfg))
        // A creation date no request can give any more, as an older catalog might hold it: the
        // age saturates instead of trapping, and such an index is old enough.
        cfg.policies[0].maxAgeMillis = day
        let ancient = RetentionPlanner.Candidate(name: "old", creationDate: Int64.min, bytes: 1)
        XCTAssertEqual(RetentionPlanner.plan([ancient], config: cfg, now: 1_000).map(\.name), ["old"])
    }
}
