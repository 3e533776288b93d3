import XCTest
@testable import LogpondEngine

/// Catalog files of each schema version, kept forever: a v1 catalog (before users) migrates to
/// the current schema and keeps its indices; a v2 catalog (users) reads back its user.
final class CatalogFixtureTests: XCTestCase {
    func copyFixture(_ name: String) throws -> String {
        let src = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lp-cat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let dst = dir.appendingPathComponent("catalog.sqlite")
        try FileManager.default.copyItem(at: src, to: dst)
        return dst.path
    }

    func testVersion1MigratesAndKeepsItsIndices() throws {
        let c = try Catalog(path: try copyFixture("catalog-v1.sqlite"))
        XCTAssertEqual(try c.indices().map { $0.name }, ["logstash-2026.12.03"])
        XCTAssertEqual(try c.meta("cluster_uuid"), "fixture-cluster-uuid")
        XCTAssertEqual(try c.users().count, 0)
        XCTAssertEqual(try c.securityVersion(), "0")
        try c.putUser(UserRecord(name: "u", passwordHash: "$2b$10$x", role: "viewer"))
        XCTAssertEqual(try c.users().map { $0.name }, ["u"])
        XCTAssertEqual(try c.securityVersion(), "1")
    }

    func testVersion2ReadsItsUser() throws {
        let c = try Catalog(path: try copyFixture("catalog-v2.sqlite"))
        let users = try c.users()
        XCTAssertEqual(users.map { $0.name }, ["fixture"])
        XCTAssertEqual(users.first?.role, "viewer")
        XCTAssertTrue(users.first?.passwordHash.hasPrefix("$2b$10$") ?? false, "bcrypt, never plain")
        XCTAssertEqual(try c.securityVersion(), "1")
        XCTAssertTrue(try c.deleteUser("fixture"))
        XCTAssertFalse(try c.deleteUser("fixture"))
        XCTAssertEqual(try c.securityVersion(), "3", "every change moves the version, a no-op delete too")
    }
}
