import Foundation

/// One action of an `_aliases` request, its index and alias expressions as given.
public enum AliasAction: Sendable {
    case add(indices: String, alias: String, body: AliasBody)
    case remove(indices: String, alias: String, mustExist: Bool)
    case removeIndex(indices: String)
}

/// What an alias says about one index: the request's or a template's alias object.
public struct AliasBody: Sendable, Equatable {
    public var filter: String?
    public var isWriteIndex: Bool?
    public var indexRouting: String?
    public var searchRouting: String?
    public init(filter: String? = nil, isWriteIndex: Bool? = nil, indexRouting: String? = nil, searchRouting: String? = nil) {
        self.filter = filter; self.isWriteIndex = isWriteIndex; self.indexRouting = indexRouting; self.searchRouting = searchRouting
    }

    /// Reads an alias object (`filter`, `is_write_index`, `routing`, `index_routing`,
    /// `search_routing`); the filter is kept as JSON text for the query layer.
    public static func parse(_ o: [String: Any]) throws -> AliasBody {
        var b = AliasBody()
        for (k, v) in o {
            switch k {
            case "filter":
                guard v is [String: Any] else { throw EngineError.illegalArgument("[filter] of an alias must be a query object") }
                b.filter = String(decoding: try JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]), as: UTF8.self)
            case "is_write_index":
                guard let f = v as? Bool ?? (v as? String).flatMap({ $0 == "true" ? true : $0 == "false" ? false : nil }) else {
                    throw EngineError.illegalArgument("[is_write_index] of an alias must be true or false")
                }
                b.isWriteIndex = f
            case "routing": b.indexRouting = "\(v)"; b.searchRouting = "\(v)"
            case "index_routing": b.indexRouting = "\(v)"
            case "search_routing": b.searchRouting = "\(v)"
            case "is_hidden": continue
            default: throw EngineError.illegalArgument("[alias] unknown field [\(EngineError.clip(k, max: 64))]")
            }
        }
        return b
    }
}

extension Store {
    /// Every alias membership, by alias then index.
    public var aliasRecords: [AliasRecord] { aliasTable.all }

    /// The indices behind an alias, or nil when `name` is no alias.
    public func aliasMembers(_ name: String) -> [AliasRecord]? { aliasTable.members(name) }

    /// Where a write to `name` goes when `name` is an alias: its write index, or the single
    /// index of an alias that has one and did not turn writing off. nil: `name` is no alias.
    public func writeIndexName(_ name: String) throws -> String? {
        guard let members = aliasTable.members(name) else { return nil }
        if let w = members.first(where: { $0.isWriteIndex == true }) { return w.index }
        if members.count == 1 && members[0].isWriteIndex != false { return members[0].index }
        throw EngineError.illegalArgument("no write index is defined for alias [\(EngineError.clip(name))]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index")
    }

    /// Applies one `_aliases` request atomically: every action or none; indices named by
    /// `remove_index` are deleted once the alias changes are committed.
    public func updateAliases(_ actions: [AliasAction]) throws {
        // Expressions resolve first, outside the locks (resolving takes the index lock).
        func targets(_ expr: String) throws -> [Index] {
            try resolve(expr, allowNoIndices: false, expandWildcards: ["open", "closed"], aliases: false)
        }
        let resolved = try actions.map { a -> [Index] in
            switch a {
            case .add(let e, let alias, _): try IndexNames.validateAlias(alias); return try targets(e)
            case .remove(let e, _, _), .removeIndex(let e): return try targets(e)
            }
        }
        var doomed: [Index] = []
        try withIndexNames { names in
            try aliasTable.change { table in
                let before = table
                for (action, indices) in zip(actions, resolved) {
                    if let gone = indices.first(where: { names[$0.name] !== $0 }) { throw EngineError.indexNotFound(gone.name) }
                    let uuids = Set(indices.map { $0.uuid })
                    switch action {
                    case .add(_, let alias, let body):
                        if names[alias] != nil {
                            throw EngineError.invalidAliasName(name: alias, reason: "an index or data stream exists with the same name as the alias")
                        }
                        for i in indices {
                            table[alias, default: []].removeAll { $0.indexUUID == i.uuid }
                            table[alias, default: []].append(Self.record(alias, i, body))
                        }
                    case .remove(_, let alias, let mustExist):
                        let matching = Self.isPattern(alias) ? table.keys.filter { Self.aliasMatches(alias, $0) } : [alias]
                        var removed = false
                        for n in matching {
                            guard let members = table[n] else { continue }
                            let kept = members.filter { !uuids.contains($0.indexUUID) }
                            if kept.count != members.count { removed = true; table[n] = kept }
                        }
                        if !removed && mustExist { throw EngineError.aliasesMissing([alias]) }
                    case .removeIndex:
                        for k in Array(table.keys) { table[k]!.removeAll { uuids.contains($0.indexUUID) } }
                        doomed += indices
                    }
                }
                for (alias, members) in table {
                    let writers = members.filter { $0.isWriteIndex == true }
                    if writers.count > 1 {
                        throw EngineError.illegalArgument("alias [\(EngineError.clip(alias))] has more than one write index [\(writers.map { $0.index }.sorted().joined(separator: ","))]")
                    }
                }
                try commitAliasChange(from: before, to: table)
            }
        }
        for i in doomed where index(named: i.name) === i { try deleteIndex(i.name) }
    }

    /// Writes the difference between two tables to the catalog in one transaction.
    func commitAliasChange(from before: [String: [AliasRecord]], to after: [String: [AliasRecord]]) throws {
        let old = Set(before.values.flatMap { $0 }.map { Key($0) }), new = Set(after.values.flatMap { $0 }.map { Key($0) })
        let removed = before.values.flatMap { $0 }.filter { !new.contains(Key($0)) }
        let added = after.values.flatMap { $0 }.filter { !old.contains(Key($0)) }
        if !removed.isEmpty || !added.isEmpty { try catalog.changeAliases(remove: removed, add: added) }
    }

    /// A membership with everything it says, so a changed filter counts as a change.
    private struct Key: Hashable {
        var alias, uuid: String; var filter, ir, sr: String?; var w: Bool?
        init(_ r: AliasRecord) { alias = r.alias; uuid = r.indexUUID; filter = r.filter; ir = r.indexRouting; sr = r.searchRouting; w = r.isWriteIndex }
    }

    static func record(_ alias: String, _ i: Index, _ b: AliasBody) -> AliasRecord {
        AliasRecord(alias: alias, index: i.name, indexUUID: i.uuid, filter: b.filter, isWriteIndex: b.isWriteIndex,
                    indexRouting: b.indexRouting, searchRouting: b.searchRouting)
    }

    static func isPattern(_ s: String) -> Bool { s == "_all" || s.contains("*") || s.contains(",") }

    /// Alias expressions in removes and gets: `_all`, `*` globs, comma lists.
    public static func aliasMatches(_ expression: String, _ name: String) -> Bool {
        expression.split(separator: ",").contains { p in
            let s = String(p).trimmingCharacters(in: .whitespaces)
            return s == "_all" || s == "*" || wildcardMatch(s, name)
        }
    }
}
