import Foundation

/// One index's membership of an alias (Elasticsearch's alias metadata).
public struct AliasRecord: Sendable, Equatable {
    public var alias: String
    public var index: String
    public var indexUUID: String
    /// The filter query as JSON text; the query layer parses and applies it.
    public var filter: String?
    /// nil: not set (a single-index alias writes to its index; several need one marked true).
    public var isWriteIndex: Bool?
    /// Kept and shown as given; one shard per index, so routing changes nothing.
    public var indexRouting: String?
    public var searchRouting: String?

    public init(alias: String, index: String, indexUUID: String, filter: String? = nil, isWriteIndex: Bool? = nil,
                indexRouting: String? = nil, searchRouting: String? = nil) {
        self.alias = alias; self.index = index; self.indexUUID = indexUUID; self.filter = filter
        self.isWriteIndex = isWriteIndex; self.indexRouting = indexRouting; self.searchRouting = searchRouting
    }
}

/// The `aliases` table (migration 4, docs/format/catalog.md).
extension Catalog {
    /// Every alias membership, by alias then index name.
    public func aliases() throws -> [AliasRecord] {
        try locked {
            try db.run("""
                SELECT a.alias, i.name, a.index_uuid, a.filter, a.is_write_index, a.index_routing, a.search_routing
                FROM aliases a JOIN indices i ON i.uuid = a.index_uuid ORDER BY a.alias, i.name
                """).map {
                AliasRecord(alias: $0[0].text, index: $0[1].text, indexUUID: $0[2].text, filter: $0[3].isNull ? nil : $0[3].text,
                            isWriteIndex: $0[4].isNull ? nil : $0[4].int != 0,
                            indexRouting: $0[5].isNull ? nil : $0[5].text, searchRouting: $0[6].isNull ? nil : $0[6].text)
            }
        }
    }

    /// Removes then adds memberships in one transaction (one `_aliases` request, a rollover).
    public func changeAliases(remove: [AliasRecord], add: [AliasRecord]) throws {
        try locked {
            try db.transaction {
                for r in remove {
                    try db.run("DELETE FROM aliases WHERE alias = ? AND index_uuid = ?", [.text(r.alias), .text(r.indexUUID)])
                }
                for a in add { try insertAlias(a, uuid: a.indexUUID) }
            }
        }
    }

    /// Inserts or replaces one membership; the caller holds the lock and a transaction.
    func insertAlias(_ a: AliasRecord, uuid: String) throws {
        func opt(_ s: String?) -> SQLiteDB.Value { s.map { .text($0) } ?? .null }
        try db.run("INSERT OR REPLACE INTO aliases(alias, index_uuid, filter, is_write_index, index_routing, search_routing) VALUES (?,?,?,?,?,?)",
                   [.text(a.alias), .text(uuid), opt(a.filter), a.isWriteIndex.map { .int($0 ? 1 : 0) } ?? .null,
                    opt(a.indexRouting), opt(a.searchRouting)])
    }
}
