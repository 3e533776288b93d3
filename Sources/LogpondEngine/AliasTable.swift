import Foundation

/// The aliases in memory, as the catalog holds them: read on every search and write that names
/// one, changed under one lock with the catalog write inside it, so readers never see a change
/// the catalog has not taken.
final class AliasTable: @unchecked Sendable {
    private let lock = NSLock()
    private var byAlias: [String: [AliasRecord]] = [:]

    func load(_ records: [AliasRecord]) {
        lock.withLock { byAlias = Dictionary(grouping: records, by: { $0.alias }) }
    }

    /// Every membership, by alias then index.
    var all: [AliasRecord] {
        lock.withLock { byAlias.keys.sorted().flatMap { k in byAlias[k]!.sorted { $0.index < $1.index } } }
    }

    func members(_ alias: String) -> [AliasRecord]? { lock.withLock { byAlias[alias] } }

    var names: [String] { lock.withLock { byAlias.keys.sorted() } }

    /// Applies a change: `body` gets the table, changes it and commits to the catalog; a throw
    /// leaves the table as it was.
    func change<T>(_ body: (inout [String: [AliasRecord]]) throws -> T) rethrows -> T {
        try lock.withLock {
            var copy = byAlias
            let r = try body(&copy)
            byAlias = copy.filter { !$0.value.isEmpty }
            return r
        }
    }

    /// Forgets an index's memberships (the catalog's rows went with its own row).
    func dropIndex(uuid: String) {
        lock.withLock {
            for k in Array(byAlias.keys) {
                byAlias[k]!.removeAll { $0.indexUUID == uuid }
                if byAlias[k]!.isEmpty { byAlias[k] = nil }
            }
        }
    }
}
