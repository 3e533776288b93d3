import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A destination for log lines with their level (swift-log's levels).
public typealias LogSink = @Sendable (Logger.Level, String) -> Void

/// One write operation of a bulk request, already split from its action line.
public struct WriteOp: Sendable {
    public enum Action: String, Sendable { case index, create, delete, update }
    public var action: Action
    public var index: String
    public var id: String?
    public var source: [UInt8]
    public var conditions = WriteConditions()
    /// `update` only: the partial document and upsert rules.
    public var update: UpdateSpec?
    public init(action: Action, index: String, id: String?, source: [UInt8], conditions: WriteConditions = WriteConditions(), update: UpdateSpec? = nil) {
        self.action = action; self.index = index; self.id = id; self.source = source; self.conditions = conditions; self.update = update
    }
}

/// Configuration of the storage engine.
public struct StoreOptions: Sendable {
    public var dataPath: String
    public var refreshIntervalMillis = Limits.defaultRefreshIntervalMillis
    public var flushIntervalMillis = Limits.flushIntervalMillis
    public var flushBufferedBytes = Limits.flushBufferedBytes
    /// An index no write has touched for this long is merged down to one segment, as a
    /// force-merge would (`logpond.merge.idle_after`; negative: never).
    public var idleMergeAfterMillis = Limits.idleMergeAfterMillis
    /// Install the templates in `mappings/` (ShippedTemplates) when the data folder is new.
    public var installShippedTemplates = true
    /// `cluster.routing.allocation.disk.*` and `cluster.info.update.interval`.
    public var watermarks = DiskWatermarks()
    /// `indexing_pressure.memory.limit`: bytes of write requests in flight before 429.
    public var indexingPressureLimitBytes = MemoryBudget.share(Limits.indexingPressureShare, of: MemoryBudget.defaultBytes)
    /// `logpond.search.memory_budget`: what searches may keep between requests (SearchMemory).
    public var searchMemoryBytes = Limits.searchMemoryBytes
    public init(dataPath: String) { self.dataPath = dataPath }
}

/// The engine's public entry: owns the catalog, translog and indices of one data folder.
public final class Store: @unchecked Sendable {
    public let options: StoreOptions
    public let catalog: Catalog
    public let templates: TemplateStore
    var translog: Translog!
    /// What searches keep between requests, bounded (`logpond.search.memory_budget`).
    let searchMemory: SearchMemory
    let aliasTable = AliasTable()
    /// `_cluster/settings` and what they put in force.
    public let clusterSettings = ClusterSettings()
    let settingsLock = NSLock()
    let autoCreate = Locked<(AutoCreateRules, String)?>(nil)
    let destructiveRequiresName = Locked(false)
    /// Retention from the config file; `effectiveRetention()` adds the settings' budget.
    let retentionBase = Locked(RetentionConfig())
    private let lock = NSLock()
    private var byName: [String: Index] = [:]
    private var nextSeqValue: Int64 = 1
    private var nextSegment: Int64 = 1
    let flushLock = NSLock()
    private var background: Thread?
    let stopLock = NSLock()
    var stoppingFlag = false
    var isStopping: Bool { stopLock.withLock { stoppingFlag } }
    /// Set after a flush or merge freed large buffers; the background loop hands the free pages
    /// back to the system once writes pause (StoreBackground.swift).
    var trimPending = false
    /// Write requests are counted here and wait while the write buffers are too full
    /// (StorePressure.swift).
    public let pressure: IndexingPressure
    /// The disk watermarks, the flood-stage block and the reserve file (DiskMonitor.swift).
    public let disk: DiskMonitor
    /// Failed background flushes in a row (a full disk): the next try waits longer.
    var flushFailures = 0
    /// Set (under stopLock) to make the flush loop flush now (DiskMonitor.onRetryWrites).
    var flushRequested = false
    public private(set) var recoveryReport = TranslogReader.Report()
    /// Damage found at open that no single index owns (a translog record whose index cannot
    /// be told): the cluster reports red while it is there.
    public internal(set) var storeDamage: [String] = []

    /// Whether anything damaged was found: cluster health is red then.
    public var isDamaged: Bool { !storeDamage.isEmpty || allIndices.contains { !$0.brokenSegments.isEmpty } }
    /// Log lines for the operator (recovery problems, deletions); the CLI prints them.
    /// Where the engine's lines go, with their level: swift-log's `logpond` logger unless a
    /// caller (a test) gives its own.
    public let logSink: LogSink
    static let logger = Logger(label: "logpond")
    static let swiftLogSink: LogSink = { level, line in logger.log(level: level, "\(line)") }

    /// Writes one line at `level` (messages say what happened and what to do).
    public func log(_ line: String, _ level: Logger.Level = .info) { logSink(level, line) }

    public init(options: StoreOptions, log: (@Sendable (String) -> Void)? = nil) throws {
        self.options = options
        if let l = log {
            let sink: LogSink = { _, line in l(line) }
            logSink = sink
        } else {
            logSink = Store.swiftLogSink
        }
        let fm = FileManager.default
        pressure = IndexingPressure(limitBytes: options.indexingPressureLimitBytes)
        searchMemory = SearchMemory(budget: options.searchMemoryBytes)
        let sink = logSink
        disk = DiskMonitor(dataPath: options.dataPath, watermarks: options.watermarks, log: sink)
        // On a nearly full disk the reserve is given up before anything else writes, so the
        // catalog and the next translog generation find room at start.
        if let u = DiskUsage.of(options.dataPath), u.available < Limits.diskReserveBytes * 2 { disk.releaseReserve() }
        do { try fm.createDirectory(atPath: options.dataPath + "/" + FileNames.indicesDir, withIntermediateDirectories: true) }
        catch { if disk.releaseReserve() { try fm.createDirectory(atPath: options.dataPath + "/" + FileNames.indicesDir, withIntermediateDirectories: true) } else { throw error } }
        catalog = try Catalog(path: options.dataPath + "/" + FileNames.catalog)
        let monitor = disk
        catalog.onDiskFull = { monitor.noteFull($0) }
        templates = try TemplateStore(catalog: catalog)
        if try catalog.meta("shipped_templates_installed") == nil {
            if options.installShippedTemplates {
                for t in ShippedTemplates.all where !templates.exists(.legacy, t.name) {
                    let body = try JSONSerialization.jsonObject(with: Data(t.body.utf8)) as? [String: Any] ?? [:]
                    try templates.put(.legacy, t.name, body)
                }
            }
            try catalog.setMeta("shipped_templates_installed", options.installShippedTemplates ? "true" : "skipped")
        }
        try open()
        disk.check()
    }

    var indicesDir: String { options.dataPath + "/" + FileNames.indicesDir }
    var translogDir: String { options.dataPath + "/" + FileNames.translogDir }

    private func open() throws {
        nextSegment = try catalog.maxSegmentID() + 1
        var byUUID: [String: Index] = [:]
        for rec in try catalog.indices() {
            let idx = try Index(record: rec, dir: indicesDir + "/" + rec.uuid, mapping: try Self.parseStoredMapping(rec.mapping))
            for s in try catalog.segments(indexUUID: rec.uuid) {
                let path = idx.dir + "/" + s.file
                do {
                    let seg = try Segment.open(id: s.id, path: path)
                    if let d = s.deletes { seg.setDeletes(try Bitset.deserialize(d, expectedCount: seg.docCount)) }
                    idx.diskSegments.append(seg)
                } catch {
                    let why = (error as? EngineError)?.description ?? "segment file \(path) cannot be read: \(error)"
                    idx.brokenSegments.append(why)
                    log("[logpond] index [\(rec.name)]: \(why)", .error)
                }
            }
            idx.diskSegments.sort { $0.minTimestamp < $1.minTimestamp }
            byName[rec.name] = idx
            byUUID[rec.uuid] = idx
            nextSeqValue = max(nextSeqValue, rec.flushedSeq + 1)
        }
        removeOrphans(known: Set(byUUID.keys))
        aliasTable.load(try catalog.aliases())
        clusterSettings.load(try catalog.meta(FileNames.clusterSettingsMetaKey))
        applyClusterSettings()
        // Replay what the catalog does not cover yet.
        var skipped = 0
        recoveryReport = try TranslogReader.replay(dir: translogDir) { op in
            guard let idx = byUUID[op.indexUUID], op.seq > idx.flushedSeq else { return }
            nextSeqValue = max(nextSeqValue, op.seq + 1)
            do {
                try idx.exclusive {
                    switch op.kind {
                    case .index: _ = try idx.index(id: op.id, autoID: op.autoID, create: false, source: op.source, seq: op.seq, replaying: true, forcedVersion: op.version)
                    case .delete: _ = try idx.delete(id: op.id, seq: op.seq, replaying: true)
                    }
                }
            } catch {
                // An acknowledged operation was accepted once under the mapping the catalog
                // holds, so this is a bug or a damaged catalog: say so, keep the rest.
                skipped += 1
                if skipped <= Limits.replayFailuresLogged {
                    let why = (error as? EngineError)?.description ?? "\(error)"
                    log("[logpond] translog: operation \(op.seq) on index [\(idx.name)] (document [\(EngineError.clip(op.id, max: 64))]) could not be replayed and was skipped: \(EngineError.clip(why, max: 300))", .error)
                }
            }
        }
        recoveryReport.skipped = skipped
        if skipped > Limits.replayFailuresLogged { log("[logpond] translog: \(skipped) operations in all could not be replayed", .error) }
        for t in recoveryReport.truncated { log("[logpond] translog: \(t)", .warning) }
        reportTranslogDamage(recoveryReport, byUUID: byUUID)
        let monitor = disk
        translog = try Translog(dir: translogDir, lastGeneration: TranslogReader.lastGeneration(dir: translogDir), onDiskFull: { monitor.noteFull($0) })
        // Persist any mapping changes replay made before serving.
        for idx in byName.values {
            let mj: String? = idx.mappingLock.withLock {
                defer { idx.mappingDirty = false }
                return idx.mappingDirty ? Index.mappingString(idx.mapping) : nil
            }
            if let mj { try catalog.updateMapping(uuid: idx.uuid, mapping: mj) }
        }
    }

    /// Deletes index folders and segment files the catalog does not know (a crash between
    /// writing a file and publishing it, or an index deleted while searched).
    private func removeOrphans(known: Set<String>) {
        let fm = FileManager.default
        for dir in (try? fm.contentsOfDirectory(atPath: indicesDir)) ?? [] {
            let path = indicesDir + "/" + dir
            if !known.contains(dir) { try? fm.removeItem(atPath: path); continue }
            let files = Set((try? catalog.segments(indexUUID: dir).map { $0.file }) ?? [])
            for f in (try? fm.contentsOfDirectory(atPath: path)) ?? [] where !files.contains(f) { unlink(path + "/" + f) }
        }
    }

    static func parseStoredMapping(_ s: String) throws -> Mapping {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any] else { return Mapping() }
        var m = try MappingJSON.parse(obj)
        if let extra = obj["_logpond"] as? [String: Any] {
            m.dateDetection = extra["date_detection"] as? Bool ?? true
            m.numericDetection = extra["numeric_detection"] as? Bool ?? false
        }
        return m
    }

    func nextSegmentID() -> Int64 { lock.withLock { defer { nextSegment += 1 }; return nextSegment } }
    func nextSeq() -> Int64 { lock.withLock { defer { nextSeqValue += 1 }; return nextSeqValue } }

    // MARK: indices

    public func index(named name: String) -> Index? { lock.withLock { byName[name] } }
    /// Runs `body` with the index names held still (alias changes check names against them;
    /// the alias table's lock is always taken after this one).
    func withIndexNames<T>(_ body: ([String: Index]) throws -> T) rethrows -> T { try lock.withLock { try body(byName) } }
    public var allIndices: [Index] { lock.withLock { byName.values.sorted { $0.name < $1.name } } }

    /// Creates an index (explicitly, or on first write); mapping and settings come from the
    /// request, merged over what templates give.
    @discardableResult
    public func createIndex(_ name: String, mapping explicit: Mapping? = nil, settings: String? = nil, aliases: [String: Any]? = nil,
                            failIfExists: Bool = true) throws -> Index {
        if !failIfExists, let existing = index(named: name) { return existing }
        try IndexNames.validate(name)
        return try lock.withLock {
            if let existing = byName[name] {
                if failIfExists { throw EngineError.indexAlreadyExists(name) }
                return existing
            }
            if aliasTable.members(name) != nil { throw EngineError.invalidIndexName(name: name, reason: "already exists as alias") }
            let resolved = try templates.resolve(index: name)
            var mapping = resolved.mapping
            var flat = resolved.settings
            if let s = settings, let obj = try? JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any] {
                flat.merge(TemplateStore.flatSettings(obj)) { $1 }
            }
            if let e = explicit { try mapping.overlay(e) }
            // `index.creation_date` may be given at creation (as Elasticsearch allows); it is kept forever.
            let given = try Self.creationDate(flat["index.creation_date"])
            flat["index.creation_date"] = nil
            let settingsJSON = String(decoding: try JSONSerialization.data(withJSONObject: flat, options: [.sortedKeys]), as: UTF8.self)
            let rec = IndexRecord(uuid: Self.newUUID(), name: name, creationDate: given ?? Int64(Date().timeIntervalSince1970 * 1000), state: "open",
                                  settings: settingsJSON, mapping: Index.mappingString(mapping), flushedSeq: 0)
            // Build the index first: bad analysis settings fail here, before anything is stored.
            let idx = try Index(record: rec, dir: indicesDir + "/" + rec.uuid, mapping: mapping)
            try Index.checkFieldLimit(mapping, idx.totalFieldsLimit)
            // Templates' aliases, then the request's; `{index}` in a name is the new index's.
            var bodies: [(String, AliasBody)] = []
            for (k, v) in resolved.aliases.merging(aliases ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
                let alias = k.replacingOccurrences(of: "{index}", with: name)
                try IndexNames.validateAlias(alias)
                if alias == name || byName[alias] != nil {
                    throw EngineError.invalidAliasName(name: alias, reason: "an index or data stream exists with the same name as the alias")
                }
                bodies.append((alias, try AliasBody.parse(v as? [String: Any] ?? [:])))
            }
            try aliasTable.change { table in
                for (alias, b) in bodies {
                    if b.isWriteIndex == true, let other = table[alias]?.first(where: { $0.isWriteIndex == true }) {
                        throw EngineError.illegalArgument("alias [\(EngineError.clip(alias))] has more than one write index [\(other.index),\(name)]")
                    }
                    table[alias, default: []].append(Self.record(alias, idx, b))
                }
                try FileManager.default.createDirectory(atPath: indicesDir + "/" + rec.uuid, withIntermediateDirectories: true)
                try catalog.insertIndex(rec, aliases: table.values.flatMap { $0 }.filter { $0.indexUUID == rec.uuid })
            }
            byName[name] = idx
            return idx
        }
    }

    /// Deletes an index: gone from listings when this returns; its files go when the last
    /// search holding them lets go.
    public func deleteIndex(_ name: String) throws {
        let idx: Index = try lock.withLock {
            guard let i = byName[name] else { throw EngineError.indexNotFound(name) }
            try catalog.deleteIndex(uuid: i.uuid)
            byName[name] = nil
            aliasTable.dropIndex(uuid: i.uuid)
            return i
        }
        idx.exclusive {
            idx.state = "deleted"
            for s in idx.diskSegments { s.markObsolete() }
            idx.memSegments.removeAll(); idx.diskSegments.removeAll()
            for slot in idx.slots { slot.builder = SegmentBuilder(); slot.cache.forgetBuilder() }
        }
        rmdir(idx.dir)
        log("[logpond] deleted index [\(name)] (uuid \(idx.uuid))")
        // The freed space may lift the flood-stage block now rather than at the next check
        // (the files go once searches holding them let go, so look again shortly too).
        let monitor = disk
        DispatchQueue.global().async { monitor.check() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { monitor.check() }
    }

    /// Closes an index: its buffered documents are flushed, its files stay, it is neither
    /// searched nor written until opened again.
    public func closeIndex(_ name: String) throws {
        guard let idx = index(named: name) else { throw EngineError.indexNotFound(name) }
        guard idx.currentState == "open" else { return }
        try flushLock.withLock { try idx.flush(catalog: catalog, nextSegmentID: nextSegmentID) }
        try catalog.updateState(uuid: idx.uuid, state: "close")
        idx.lock.withLock { idx.state = "close" }
        log("[logpond] closed index [\(name)]")
    }

    public func openIndex(_ name: String) throws {
        guard let idx = index(named: name) else { throw EngineError.indexNotFound(name) }
        guard idx.currentState == "close" else { return }
        try catalog.updateState(uuid: idx.uuid, state: "open")
        idx.lock.withLock { idx.state = "open" }
    }

    /// Applies dynamic settings (`index.blocks.*`, `refresh_interval`, …) to an index.
    public func updateSettings(_ name: String, _ settings: [String: Any]) throws {
        guard let idx = index(named: name) else { throw EngineError.indexNotFound(name) }
        let flat = TemplateStore.flatSettings(settings)
        let staticKeys: Set<String> = ["index.number_of_shards", "index.creation_date", "index.uuid", "index.provided_name", "index.analysis"]
        if let bad = flat.keys.first(where: { k in staticKeys.contains { k == $0 || k.hasPrefix($0 + ".") } }) {
            throw EngineError.illegalArgument("Can't update non dynamic settings [[\(bad)]] for open indices [[\(name)]]")
        }
        try idx.lock.withLock {
            var current = IndexSettings(json: idx.settingsJSON).raw
            current = TemplateStore.flatSettings(current)
            for (k, v) in flat { if v is NSNull { current[k] = nil } else { current[k] = v } }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: current, options: [.sortedKeys]), as: UTF8.self)
            try catalog.updateSettings(uuid: idx.uuid, settings: json)
            idx.settingsJSON = json
            idx.refreshBlocks()
        }
    }

    public func putMapping(_ name: String, _ m: Mapping) throws {
        guard let idx = index(named: name) else { throw EngineError.indexNotFound(name) }
        try idx.mergeMapping(m)
        try catalog.updateMapping(uuid: idx.uuid, mapping: Index.mappingString(idx.currentMapping.0))
    }

    /// `index.creation_date` as given at creation (a number or a string of one), checked here:
    /// it is formatted and aged for as long as the index lives.
    static func creationDate(_ v: Any?) throws -> Int64? {
        guard let v else { return nil }
        let ms: Int64?
        if let s = v as? String { ms = Int64(s) }
        else if let n = v as? NSNumber, n.doubleValue.isFinite, n.doubleValue == n.doubleValue.rounded(),
                abs(n.doubleValue) <= Double(Limits.maxCreationDateMillis) { ms = Int64(n.doubleValue) }
        else { ms = nil }
        guard let ms, ms >= 0, ms <= Limits.maxCreationDateMillis else {
            throw EngineError.illegalArgument("index.creation_date must be epoch milliseconds between 0 and \(Limits.maxCreationDateMillis) (the end of 9999)")
        }
        return ms
    }

    static func newUUID() -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { bytes[i] = UInt8.random(in: 0...255) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension Store {
    /// Damaged translog records: the generation is copied aside (trimming would remove it),
    /// the index the record was for turns red and its searches report a failed shard; a record
    /// whose index cannot be told marks the whole store damaged.
    func reportTranslogDamage(_ report: TranslogReader.Report, byUUID: [String: Index]) {
        var copied: Set<Int64> = []
        for d in report.damaged {
            let copy = translogDir + "/" + FileNames.translogDamagedCopy(generation: d.generation)
            if !copied.contains(d.generation) {
                copied.insert(d.generation)
                try? FileManager.default.removeItem(atPath: copy)
                try? FileManager.default.copyItem(atPath: d.path, toPath: copy)
            }
            let what = "translog \(d.path) is damaged at byte \(d.offset) (\(d.reason)); a copy is kept at \(copy). The operations before and after it were replayed; run `logpond check --data \(options.dataPath)` and restore the affected documents from their source"
            log("[logpond] \(what)", .error)
            // The record's own index when that much of it reads; otherwise every index with
            // operations in the same generation may be missing a document.
            let owners = d.indexUUID.flatMap { byUUID[$0] }.map { [$0] } ?? (report.indicesByGeneration[d.generation] ?? []).compactMap { byUUID[$0] }
            for idx in owners { idx.brokenSegments.append(what) }
            if owners.isEmpty { storeDamage.append(what) }
        }
    }
}
