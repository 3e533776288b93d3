import Foundation

/// One index's row in the catalog.
public struct IndexRecord: Sendable {
    public var uuid: String
    public var name: String
    public var creationDate: Int64
    public var state: String
    public var settings: String
    public var mapping: String
    public var flushedSeq: Int64
}

/// One segment's row in the catalog.
public struct SegmentRecord: Sendable {
    public var id: Int64
    public var indexUUID: String
    public var file: String
    public var docCount: Int
    public var minTs: Int64
    public var maxTs: Int64
    public var size: Int64
    public var deletes: [UInt8]?
}

/// The SQLite catalog (docs/format/catalog.md): indices, segments, templates and the translog
/// checkpoint. Every change that must be atomic is one transaction.
public final class Catalog: @unchecked Sendable {
    let db: SQLiteDB
    private let lock = NSLock()

    /// Migrations in order; shipped ones are never edited, only appended to.
    static let migrations: [String] = [
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE indices (uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, creation_date INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'open', settings TEXT NOT NULL DEFAULT '{}', mapping TEXT NOT NULL DEFAULT '{}',
            flushed_seq INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE segments (id INTEGER PRIMARY KEY, index_uuid TEXT NOT NULL, file TEXT NOT NULL, doc_count INTEGER NOT NULL,
            min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL, size INTEGER NOT NULL, deletes BLOB);
        CREATE INDEX segments_by_index ON segments(index_uuid);
        CREATE TABLE templates (name TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, name));
        """,
        // 2: users of the native realm (docs/security.md); passwords as bcrypt hashes only.
        """
        CREATE TABLE users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, updated INTEGER NOT NULL);
        """,
        // 3: API keys (docs/security.md); the secret as a bcrypt hash only.
        """
        CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT NOT NULL, role TEXT NOT NULL,
            owner TEXT NOT NULL, creation INTEGER NOT NULL, expiration INTEGER, invalidated INTEGER NOT NULL DEFAULT 0,
            metadata TEXT NOT NULL DEFAULT '{}');
        CREATE INDEX api_keys_by_name ON api_keys(name);
        """,
        // 4: aliases (docs/format/catalog.md); an index's aliases go with it.
        """
        CREATE TABLE aliases (alias TEXT NOT NULL, index_uuid TEXT NOT NULL REFERENCES indices(uuid) ON DELETE CASCADE,
            filter TEXT, is_write_index INTEGER, index_routing TEXT, search_routing TEXT, PRIMARY KEY (alias, index_uuid));
        CREATE INDEX aliases_by_index ON aliases(index_uuid);
        """,
    ]

    public init(path: String) throws {
        db = try SQLiteDB(path: path)
        try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        try migrate()
    }

    private func migrate() throws {
        try db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
        let done = try db.run("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0].int
        for (i, sql) in Self.migrations.enumerated() where Int64(i + 1) > done {
            try db.transaction {
                try db.exec(sql)
                try db.run("INSERT INTO schema_migrations(version) VALUES (?)", [.int(Int64(i + 1))])
            }
        }
    }

    /// Told when a change finds the disk full; true when space was freed (the reserve) and the
    /// change is worth one more try. A failed transaction rolled back, so the retry is safe.
    var onDiskFull: (String) -> Bool = { _ in false }

    func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        do { return try body() } catch EngineError.diskFull(let p) where onDiskFull(p) { return try body() }
    }

    // MARK: meta

    public func meta(_ key: String) throws -> String? {
        try locked { try db.run("SELECT value FROM meta WHERE key = ?", [.text(key)]).first?[0].text }
    }
    public func setMeta(_ key: String, _ value: String) throws {
        try locked { _ = try db.run("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [.text(key), .text(value)]) }
    }

    // MARK: indices

    public func indices() throws -> [IndexRecord] {
        try locked {
            try db.run("SELECT uuid, name, creation_date, state, settings, mapping, flushed_seq FROM indices ORDER BY name").map {
                IndexRecord(uuid: $0[0].text, name: $0[1].text, creationDate: $0[2].int, state: $0[3].text, settings: $0[4].text, mapping: $0[5].text, flushedSeq: $0[6].int)
            }
        }
    }
    public func insertIndex(_ r: IndexRecord, aliases: [AliasRecord] = []) throws {
        try locked {
            try db.transaction {
                _ = try db.run("INSERT INTO indices(uuid, name, creation_date, state, settings, mapping, flushed_seq) VALUES (?,?,?,?,?,?,?)",
                               [.text(r.uuid), .text(r.name), .int(r.creationDate), .text(r.state), .text(r.settings), .text(r.mapping), .int(r.flushedSeq)])
                for a in aliases { try insertAlias(a, uuid: r.uuid) }
            }
        }
    }
    public func updateMapping(uuid: String, mapping: String) throws {
        try locked { _ = try db.run("UPDATE indices SET mapping = ? WHERE uuid = ?", [.text(mapping), .text(uuid)]) }
    }
    public func updateSettings(uuid: String, settings: String) throws {
        try locked { _ = try db.run("UPDATE indices SET settings = ? WHERE uuid = ?", [.text(settings), .text(uuid)]) }
    }
    public func updateState(uuid: String, state: String) throws {
        try locked { _ = try db.run("UPDATE indices SET state = ? WHERE uuid = ?", [.text(state), .text(uuid)]) }
    }
    /// Removes an index and its segments in one transaction.
    public func deleteIndex(uuid: String) throws {
        try locked {
            try db.transaction {
                try db.run("DELETE FROM segments WHERE index_uuid = ?", [.text(uuid)])
                try db.run("DELETE FROM aliases WHERE index_uuid = ?", [.text(uuid)])
                try db.run("DELETE FROM indices WHERE uuid = ?", [.text(uuid)])
            }
        }
    }

    // MARK: segments

    public func segments(indexUUID: String) throws -> [SegmentRecord] {
        try locked {
            try db.run("SELECT id, index_uuid, file, doc_count, min_ts, max_ts, size, deletes FROM segments WHERE index_uuid = ? ORDER BY id", [.text(indexUUID)]).map {
                SegmentRecord(id: $0[0].int, indexUUID: $0[1].text, file: $0[2].text, docCount: Int($0[3].int), minTs: $0[4].int, maxTs: $0[5].int,
                              size: $0[6].int, deletes: $0[7].isNull ? nil : $0[7].blob)
            }
        }
    }
    public func maxSegmentID() throws -> Int64 {
        try locked { try db.run("SELECT COALESCE(MAX(id), 0) FROM segments")[0][0].int }
    }

    /// Publishes a flush (or merge) atomically: adds new segments, removes replaced ones, records
    /// deletions of surviving segments, and moves the index's flushed sequence number.
    public func commit(indexUUID: String, add: [SegmentRecord], remove: [Int64], deletes: [(Int64, [UInt8])], flushedSeq: Int64?) throws {
        try locked {
            try db.transaction {
                // An index deleted while its flush or merge ran must not get segment rows back.
                guard try db.run("SELECT COUNT(*) FROM indices WHERE uuid = ?", [.text(indexUUID)])[0][0].int == 1 else {
                    throw EngineError.indexNotFound(indexUUID)
                }
                for s in add {
                    try db.run("INSERT INTO segments(id, index_uuid, file, doc_count, min_ts, max_ts, size, deletes) VALUES (?,?,?,?,?,?,?,?)",
                               [.int(s.id), .text(s.indexUUID), .text(s.file), .int(Int64(s.docCount)), .int(s.minTs), .int(s.maxTs), .int(s.size),
                                s.deletes.map { .blob($0) } ?? .null])
                }
                for r in remove { try db.run("DELETE FROM segments WHERE id = ?", [.int(r)]) }
                for (id, d) in deletes { try db.run("UPDATE segments SET deletes = ? WHERE id = ?", [.blob(d), .int(id)]) }
                if let fs = flushedSeq {
                    try db.run("UPDATE indices SET flushed_seq = MAX(flushed_seq, ?) WHERE uuid = ?", [.int(fs), .text(indexUUID)])
                }
            }
        }
    }

    // MARK: templates

    public func templates(kind: String) throws -> [(name: String, body: String)] {
        try locked { try db.run("SELECT name, body FROM templates WHERE kind = ? ORDER BY name", [.text(kind)]).map { ($0[0].text, $0[1].text) } }
    }
    public func putTemplate(kind: String, name: String, body: String) throws {
        try locked {
            _ = try db.run("INSERT INTO templates(kind, name, body) VALUES (?,?,?) ON CONFLICT(kind, name) DO UPDATE SET body = excluded.body",
                           [.text(kind), .text(name), .text(body)])
        }
    }
    @discardableResult
    public func deleteTemplate(kind: String, name: String) throws -> Bool {
        try locked {
            let n = try db.run("SELECT COUNT(*) FROM templates WHERE kind = ? AND name = ?", [.text(kind), .text(name)])[0][0].int
            try db.run("DELETE FROM templates WHERE kind = ? AND name = ?", [.text(kind), .text(name)])
            return n > 0
        }
    }
}
