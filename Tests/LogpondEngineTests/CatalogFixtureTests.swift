import XCTest
@testable import LogpondEngine

/// Catalog files of each schema version, kept forever: a v1 catalog (before users) migrates to
/// the current schema and keeps its indices; a v2 catalog (users) reads back its user; a v3
/// catalog (API keys) reads back its key; a v4 catalog (aliases) reads back its aliases.
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

    func testVersion3ReadsItsApiKey() throws {
        let c = try Catalog(path: try copyFixture("catalog-v3.sqlite"))
        XCTAssertEqual(try c.users().map { $0.role }, ["superuser"])
        let keys = try c.apiKeys()
        XCTAssertEqual(keys.count, 1)
        let k = try XCTUnwrap(keys.first)
        XCTAssertEqual([k.id, k.name, k.role, k.owner, k.metadata], ["MlpjCmoSJv1QdDenQR8J", "fixture-key", "viewer", "fixture", #"{"fixture":true}"#])
        XCTAssertEqual(k.creation, 1_796_344_085_229)
        XCTAssertNil(k.expiration)
        XCTAssertFalse(k.invalidated)
        XCTAssertTrue(k.keyHash.hasPrefix("$2b$10$"), "bcrypt, never the secret")
        let before = try c.securityVersion()
        XCTAssertEqual(try c.invalidateApiKeys(ids: [k.id, "missing"]).invalidated, [k.id])
        XCTAssertEqual(try c.invalidateApiKeys(ids: [k.id]).previously, [k.id])
        XCTAssertTrue(try c.apiKeys()[0].invalidated)
        XCTAssertNotEqual(try c.securityVersion(), before)
    }

    func testVersion4ReadsItsAliases() throws {
        let c = try Catalog(path: try copyFixture("catalog-v4.sqlite"))
        let a = try c.aliases()
        XCTAssertEqual(a.map { $0.alias }, ["errors", "logs"])
        XCTAssertEqual(Set(a.map { $0.index }), ["logs-000001"])
        XCTAssertEqual(a[0].filter, #"{"term":{"level":"error"}}"#)
        XCTAssertNil(a[0].isWriteIndex)
        XCTAssertEqual(a[1].isWriteIndex, true)
        XCTAssertNil(a[1].filter)
        // An index's aliases go with it.
        try c.deleteIndex(uuid: a[0].indexUUID)
        XCTAssertEqual(try c.aliases().count, 0)
    }

    func testOlderCatalogsMigrateToAnEmptyAliasTable() throws {
        let c = try Catalog(path: try copyFixture("catalog-v1.sqlite"))
        XCTAssertEqual(try c.aliases().count, 0)
        let idx = try XCTUnwrap(try c.indices().first)
        try c.changeAliases(remove: [], add: [AliasRecord(alias: "a", index: idx.name, indexUUID: idx.uuid, isWriteIndex: false)])
        XCTAssertEqual(try c.aliases().map { [$0.alias, $0.index] }, [["a", idx.name]])
        XCTAssertEqual(try c.aliases().first?.isWriteIndex, false)
    }
}
