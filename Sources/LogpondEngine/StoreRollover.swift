import Foundation

/// `_rollover`'s conditions: any one met rolls over; none given always does.
public struct RolloverConditions: Sendable {
    public var maxAgeMillis: Int64?
    public var maxDocs: Int64?
    public var maxSizeBytes: Int64?
    public init(maxAgeMillis: Int64? = nil, maxDocs: Int64? = nil, maxSizeBytes: Int64? = nil) {
        self.maxAgeMillis = maxAgeMillis; self.maxDocs = maxDocs; self.maxSizeBytes = maxSizeBytes
    }
    public var isEmpty: Bool { maxAgeMillis == nil && maxDocs == nil && maxSizeBytes == nil }
}

/// What a rollover did (or would do, dry run).
public struct RolloverOutcome: Sendable {
    public var oldIndex: String
    public var newIndex: String
    public var rolledOver: Bool
    /// Per condition given (`max_age`, `max_docs`, `max_size`): met or not.
    public var met: [String: Bool]
}

extension Store {
    /// Rolls `alias` over to a new index: the next name in the `-000001` series unless one is
    /// given, created from templates plus `settings`/`mapping`, and made the alias's write
    /// index (the old index keeps the alias for reads when it was marked the write index,
    /// otherwise the alias moves), as Elasticsearch does.
    public func rollover(alias: String, newIndex given: String?, conditions: RolloverConditions, dryRun: Bool,
                         settings: String? = nil, mapping: Mapping? = nil, aliases: [String: Any]? = nil) throws -> RolloverOutcome {
        if index(named: alias) != nil {
            throw EngineError.illegalArgument("rollover target is a [concrete index] but one of [alias] was expected")
        }
        guard let oldName = try writeIndexName(alias), let old = index(named: oldName) else {
            throw EngineError.illegalArgument("rollover target [\(EngineError.clip(alias))] does not exist")
        }
        let newName = try given ?? Self.nextRolloverName(oldName)
        try IndexNames.validate(newName)
        let st = old.stats
        var met: [String: Bool] = [:]
        if let a = conditions.maxAgeMillis { met["max_age"] = Int64(Date().timeIntervalSince1970 * 1000) - old.creationDate >= a }
        if let d = conditions.maxDocs { met["max_docs"] = Int64(st.docs) >= d }
        if let s = conditions.maxSizeBytes { met["max_size"] = st.storeBytes >= s }
        let go = conditions.isEmpty || met.values.contains(true)
        guard go && !dryRun else { return RolloverOutcome(oldIndex: oldName, newIndex: newName, rolledOver: false, met: met) }
        if index(named: newName) != nil { throw EngineError.indexAlreadyExists(newName) }
        let created = try createIndex(newName, mapping: mapping, settings: settings, aliases: aliases)
        try withIndexNames { _ in
            try aliasTable.change { table in
                let before = table
                guard var members = table[alias], let at = members.firstIndex(where: { $0.indexUUID == old.uuid }) else {
                    throw EngineError.illegalArgument("alias [\(EngineError.clip(alias))] changed during the rollover; try again")
                }
                var moved = members[at]
                if moved.isWriteIndex == true {
                    members[at].isWriteIndex = false
                } else {
                    members.remove(at: at)
                }
                moved.index = created.name; moved.indexUUID = created.uuid
                moved.isWriteIndex = members.isEmpty ? moved.isWriteIndex : true
                members.removeAll { $0.indexUUID == created.uuid }
                members.append(moved)
                table[alias] = members
                try commitAliasChange(from: before, to: table)
            }
        }
        log("[logpond] rolled alias [\(alias)] over from [\(oldName)] to [\(newName)]")
        return RolloverOutcome(oldIndex: oldName, newIndex: newName, rolledOver: true, met: met)
    }

    /// `logs-000001` → `logs-000002`: the number after the last `-`, plus one, six digits.
    static func nextRolloverName(_ name: String) throws -> String {
        guard let dash = name.lastIndex(of: "-"), let n = Int(name[name.index(after: dash)...]),
              name[name.index(after: dash)...].allSatisfy({ $0.isASCII && $0.isNumber }), n < Int(Int32.max) else {
            throw EngineError.illegalArgument("index name [\(EngineError.clip(name))] does not match pattern '^.*-\\d+$'")
        }
        let next = String(n + 1)
        return String(name[...dash]) + String(repeating: "0", count: max(0, 6 - next.count)) + next
    }
}
