import Foundation
import CSimdJSON
import LogpondAnalysis

/// A consistent view of an index for one search: its segments and their deletions as of now.
public struct IndexSnapshot: @unchecked Sendable {
    public var name: String
    public var uuid: String
    public var mapping: Mapping
    public var analysis: AnalysisRegistry
    public var segments: [(segment: Segment, deletes: Bitset?)]
    /// Segment files that could not be opened: the search reports them as shard failures.
    public var failures: [String] = []
}

/// A write buffer being sealed, with deletions that arrived meanwhile.
final class SealingBuffer {
    let builder: SegmentBuilder
    var pendingDeletes: Set<Int32> = []
    init(_ b: SegmentBuilder) { builder = b }
}

/// One of an index's parallel write buffers: auto-id documents are indexed into any free slot
/// without holding the index lock, so concurrent bulk requests use every core.
final class WriterSlot {
    let lock = NSLock()
    var builder = SegmentBuilder()
    let flattener = JSONFlattener()
    let cache = PathCache()
    /// The mapping version `cache` was built against.
    var mappingVersion = -1
    /// Highest sequence number indexed into this slot.
    var maxSeq: Int64 = 0
}

/// One (daily) index: its mapping, write buffer, refreshed in-memory segments and flushed
/// segments. All mutable state is guarded by `lock`.
public final class Index: @unchecked Sendable {
    public let uuid: String
    public let name: String
    public let creationDate: Int64
    /// `_stats`' counters (writes, searches, flushes, uncommitted translog).
    public let counters = IndexCounters()
    let dir: String
    let lock = NSLock()

    /// Guarded by `mappingLock`, a leaf lock (never held while taking another).
    private(set) var mapping: Mapping
    let mappingLock = NSLock()
    /// Bumped whenever `mapping` changes, so writer slots know to drop their path caches.
    var mappingVersion = 0
    public internal(set) var settingsJSON: String
    var state: String
    /// `open`, `close` or `deleted`, read under the lock.
    public var currentState: String { lock.withLock { state } }
    /// Write buffers; lock order is `lock`, then slots in order, then `mappingLock`.
    let slots: [WriterSlot] = (0..<Limits.writerSlots).map { _ in WriterSlot() }
    private let nextSlot = NSLock()
    private var slotCursor = 0
    /// Held from choosing segments to merge until the merge is swapped in, by background merges
    /// and force-merge alike: two merges of overlapping segments made the later one drop its
    /// work, and a force-merge then left several segments behind. Taken before `lock`.
    let mergeLock = NSLock()
    /// Buffers being written into segments right now (outside the lock); still found by id.
    var sealing: [SealingBuffer] = []
    /// One seal at a time per index, so in-memory segments keep their order.
    let refreshLock = NSLock()
    var memSegments: [Segment] = []
    var diskSegments: [Segment] = []
    /// Segment files that failed to open, with the reason; served around, reported by _cat.
    public internal(set) var brokenSegments: [String] = []
    var maxSeq: Int64 = 0
    var flushedSeq: Int64
    var dirtyDeletes: Set<Int64> = []
    var mappingDirty = false
    var lastSearchNanos: UInt64 = 0
    /// When a write request last touched this index (its opening counts as one): an index
    /// idle for `StoreOptions.idleMergeAfterMillis` is merged to one segment, once.
    var lastWriteNanos: UInt64 = Clock.now()
    var idleMerged = false
    /// The `lastSearchNanos` whose touched pages were given back (Store.releaseIdlePages).
    var pagesReleasedForSearch: UInt64? = nil
    /// Analyzers and normalizers from the index settings.
    public let analysis: AnalysisRegistry
    /// index.mapping.total_fields.limit
    let totalFieldsLimit: Int
    /// index.blocks.write / read_only / read_only_allow_delete: which one refuses writes now.
    var writeBlock: WriteBlock?

    /// The index-level write blocks, with Elasticsearch's ids.
    enum WriteBlock { case write, readOnly, readOnlyAllowDelete }

    init(record: IndexRecord, dir: String, mapping: Mapping) throws {
        uuid = record.uuid; name = record.name; creationDate = record.creationDate
        settingsJSON = record.settings; state = record.state
        self.dir = dir; self.mapping = mapping
        flushedSeq = record.flushedSeq; maxSeq = record.flushedSeq
        let settings = IndexSettings(json: record.settings)
        do { analysis = try AnalysisRegistry(settings: settings.raw) }
        catch { throw EngineError.illegalArgument("\(error)") }
        totalFieldsLimit = settings.int("mapping.total_fields.limit") ?? Limits.totalFieldsLimit
        refreshBlocks()
    }

    /// Re-reads the write blocks from the settings; caller holds the lock (or is the initialiser).
    /// The index's own slow-log thresholds (`index.search.slowlog.threshold.query.warn`,
    /// `index.indexing.slowlog.threshold.index.warn`) as given; the HTTP layer reads them.
    var slowlogSettings: (search: String?, indexing: String?) = (nil, nil)
    public var slowlogThresholds: (search: String?, indexing: String?) { lock.withLock { slowlogSettings } }

    func refreshBlocks() {
        let s = IndexSettings(json: settingsJSON)
        slowlogSettings = (s.string("search.slowlog.threshold.query.warn"), s.string("indexing.slowlog.threshold.index.warn"))
        func on(_ k: String) -> Bool { s.string(k) == "true" || s.string(k) == "1" }
        writeBlock = on("blocks.read_only") ? .readOnly : on("blocks.write") ? .write : on("blocks.read_only_allow_delete") ? .readOnlyAllowDelete : nil
    }

    /// Replay skips the block and close checks: its operations were acknowledged before any
    /// block or close that came later, and an acknowledgement is a promise.
    func checkWritable(replaying: Bool = false, deleting: Bool = false) throws {
        if state == "deleted" { throw EngineError.indexNotFound(name) }
        if replaying { return }
        if state == "close" { throw EngineError.indexClosed(name) }
        switch writeBlock {
        case nil: return
        case .write: throw EngineError.writeBlocked(name, block: "FORBIDDEN/8/index write (api)", setting: "index.blocks.write")
        case .readOnly: throw EngineError.writeBlocked(name, block: "FORBIDDEN/5/index read-only (api)", setting: "index.blocks.read_only")
        // Set by hand, the flood-stage block answers as the disk's own does, and lets deletes by.
        case .readOnlyAllowDelete: if !deleting { throw EngineError.floodStage(index: name) }
        }
    }

    // MARK: writes

    enum Location { case buffer(WriterSlot, Int32), sealing(SealingBuffer, Int32), segment(Segment, Int) }

    /// The live document with `id`, wherever it is.
    func lookup(_ id: String) throws -> (loc: Location, version: Int64, seq: Int64)? {
        for slot in slots { if let b = slot.builder.lookup(id: id) { return (.buffer(slot, b.doc), b.version, b.seq) } }
        for sb in sealing.reversed() {
            if let b = sb.builder.lookup(id: id), !sb.pendingDeletes.contains(b.doc) { return (.sealing(sb, b.doc), b.version, b.seq) }
        }
        for seg in (memSegments + diskSegments).reversed() {
            guard let dict = try seg.dictionary("_id"), let ord = dict.find(id) else { continue }
            let dels = seg.deletes
            for d in try dict.docs(ord).reversed() where !(dels?.contains(Int(d)) ?? false) {
                let doc = try seg.document(Int(d))
                return (.segment(seg, Int(d)), doc.version, doc.seq)
            }
        }
        return nil
    }

    func remove(_ loc: Location) {
        switch loc {
        case .buffer(let slot, let d): slot.builder.delete(doc: d)
        case .sealing(let sb, let d): sb.pendingDeletes.insert(d)
        case .segment(let s, let d):
            s.delete(doc: d)
            if s.path != nil { dirtyDeletes.insert(s.id) }
        }
    }

    /// Runs `body` holding the index lock and every slot: explicit ids, deletes, replay and
    /// realtime gets need one consistent view of all buffers.
    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        for s in slots { s.lock.lock() }
        defer { for s in slots.reversed() { s.lock.unlock() }; lock.unlock() }
        return try body()
    }

    /// The mapping and its version, read under the leaf lock.
    var currentMapping: (Mapping, Int) { mappingLock.withLock { (mapping, mappingVersion) } }

    /// Adds fields a document brought, re-checked against fields other writers added meanwhile.
    func addFields(_ events: UnsafeBufferPointer<lp_event>, _ arena: UnsafePointer<UInt8>, docID: String) throws -> (Mapping, Int) {
        try mappingLock.withLock {
            let added = try DocumentIndexer.plan(events, arena, mapping: mapping, docID: docID, cache: PathCache(), totalFieldsLimit: totalFieldsLimit)
            if !added.isEmpty {
                for (p, f) in added { mapping.add(p, f) }
                mappingDirty = true
                mappingVersion += 1
            }
            return (mapping, mappingVersion)
        }
    }

    /// Indexes one document into `slot` (whose lock the caller holds).
    func indexInto(_ slot: WriterSlot, id: String, version: Int64, source: [UInt8], seq: () -> Int64) throws -> Int64 {
        // Every write (bulk, single document, update's merged source, Forward) passes here
        // before it is logged: the translog and stored blocks read a source back only up to
        // this size, so a larger one would be acknowledged and then lost.
        guard source.count <= Limits.maxDocumentBytes else {
            throw EngineError.illegalArgument("document is larger than \(Limits.maxDocumentBytes) bytes; the translog and segments cannot hold it")
        }
        var (m, ver) = currentMapping
        if slot.mappingVersion != ver { slot.cache.reset(); slot.mappingVersion = ver }
        var assigned: Int64 = 0
        try source.withUnsafeBytes { buf in
            try slot.flattener.flatten(buf) { events, arena in
                guard let arena else { return }
                let objects = slot.builder.objects
                objects.begin(version: ver, events, arena)
                let added = try DocumentIndexer.plan(events, arena, mapping: m, docID: id, cache: slot.cache, totalFieldsLimit: totalFieldsLimit, objects: objects)
                if !added.isEmpty {
                    (m, ver) = try addFields(events, arena, docID: id)
                    slot.cache.reset(); slot.mappingVersion = ver
                    objects.mappingChanged(to: ver)
                }
                assigned = seq()
                let doc = slot.builder.beginDoc(id: id, version: version, seq: assigned, source: source, timestamp: SegmentFormat.noTimestamp)
                DocumentIndexer.add(events, arena, mapping: m, builder: slot.builder, doc: doc, cache: slot.cache, analysis: analysis, objects: objects)
            }
        }
        slot.maxSeq = max(slot.maxSeq, assigned)
        return assigned
    }

    /// The fast path: a document with a generated id goes into any free slot; no lookups.
    func indexAutoID(id: String, source: [UInt8], seq: () -> Int64) throws -> WriteResult {
        try lock.withLock { try checkWritable() }
        let slot: WriterSlot = nextSlot.withLock {
            // The first free slot, so a lone writer keeps filling one buffer (fewer, larger
            // segments); when all are busy, wait on them in turn.
            for s in slots where s.lock.try() { s.lock.unlock(); return s }
            slotCursor = (slotCursor + 1) % slots.count
            return slots[slotCursor]
        }
        return try slot.lock.withLock {
            let assigned = try indexInto(slot, id: id, version: 1, source: source, seq: seq)
            return WriteResult(index: name, id: id, version: 1, seq: assigned, outcome: .created)
        }
    }

    /// Applies an index/create operation with an explicit id (or during replay); the caller
    /// runs it inside `exclusive`.
    func index(id: String, autoID: Bool, create: Bool, source: [UInt8], seq: Int64, replaying: Bool = false,
               conditions: WriteConditions = WriteConditions(), forcedVersion: Int64? = nil) throws -> WriteResult {
        try checkWritable(replaying: replaying)
        var existing: (loc: Location, version: Int64, seq: Int64)? = nil
        if !autoID {
            existing = try lookup(id)
            if let e = existing {
                if e.seq >= seq { return WriteResult(index: name, id: id, version: e.version, seq: e.seq, outcome: .updated) }
                if create { throw EngineError.versionConflict(index: name, id: id) }
            }
        }
        if !replaying { try conditions.check(index: name, id: id, existing: existing.map { ($0.version, $0.seq) }) }
        // Replay takes the version the operation was acknowledged with (external ones too).
        let version = forcedVersion ?? conditions.nextVersion(after: existing?.version)
        _ = try indexInto(slots[0], id: id, version: version, source: source, seq: { seq })
        if let e = existing { remove(e.loc) }
        maxSeq = max(maxSeq, seq)
        return WriteResult(index: name, id: id, version: version, seq: seq, outcome: existing == nil ? .created : .updated)
    }

    /// Applies a delete; during replay an op older than the live doc is a no-op.
    func delete(id: String, seq: Int64, replaying: Bool = false, conditions: WriteConditions = WriteConditions()) throws -> WriteResult {
        try checkWritable(replaying: replaying, deleting: true)
        let found = try lookup(id)
        if !replaying { try conditions.check(index: name, id: id, existing: found.map { ($0.version, $0.seq) }) }
        maxSeq = max(maxSeq, seq)
        guard let e = found, e.seq < seq else {
            return WriteResult(index: name, id: id, version: conditions.nextVersion(after: 0), seq: seq, outcome: .notFound)
        }
        remove(e.loc)
        return WriteResult(index: name, id: id, version: conditions.nextVersion(after: e.version), seq: seq, outcome: .deleted)
    }

    /// Realtime get: the buffer is consulted too, as Elasticsearch's get is realtime.
    public func get(id: String) throws -> StoredHit? {
        try exclusive { try stored(id: id) }
    }

    /// The live document with this id; the caller holds the index exclusively.
    func stored(id: String) throws -> StoredHit? {
        guard let e = try lookup(id) else { return nil }
        switch e.loc {
        case .buffer(let slot, let d):
            let doc = slot.builder.docs[Int(d)]
            return StoredHit(index: name, id: id, version: doc.version, seq: doc.seq, source: doc.source)
        case .sealing(let sb, let d):
            let doc = sb.builder.docs[Int(d)]
            return StoredHit(index: name, id: id, version: doc.version, seq: doc.seq, source: doc.source)
        case .segment(let s, let d):
            let doc = try s.document(d)
            return StoredHit(index: name, id: id, version: doc.version, seq: doc.seq, source: doc.source)
        }
    }

    /// Replaces the mapping after a successful merge with a PUT mapping body.
    /// An explicit mapping is held to `index.mapping.total_fields.limit` as dynamic fields are.
    static func checkFieldLimit(_ m: Mapping, _ limit: Int) throws {
        if m.fieldCount > limit {
            throw EngineError.illegalArgument("Limit of total fields [\(limit)] has been exceeded: the mapping has \(m.fieldCount) fields; raise index.mapping.total_fields.limit or map fewer fields")
        }
    }

    func mergeMapping(_ other: Mapping) throws {
        try mappingLock.withLock {
            var m = mapping
            try m.merge(other)
            try Self.checkFieldLimit(m, totalFieldsLimit)
            mapping = m
            mappingVersion += 1
        }
    }

    // MARK: refresh and search

    public var pendingDocs: Int { slots.reduce(0) { acc, s in acc + s.lock.withLock { s.builder.count } } }
    public var bufferedBytes: Int {
        slots.reduce(0) { acc, s in acc + s.lock.withLock { s.builder.sourceBytes } } + lock.withLock { memSegments.reduce(0) { $0 + $1.byteSize } }
    }

    /// Seals the write buffer into an in-memory segment so its documents become searchable.
    /// The segment is built outside the index lock, so writers are blocked only for the swap.
    /// Returns the highest sequence number the sealed buffer covers (with everything before it).
    @discardableResult
    func refresh(nextSegmentID: () -> Int64) throws -> Int64 {
        defer { counters.refreshed() }
        return try refreshLock.withLock { try sealBuffer(nextSegmentID: nextSegmentID) }
    }

    /// The body of `refresh`; the caller holds `refreshLock`.
    func sealBuffer(nextSegmentID: () -> Int64) throws -> Int64 {
        // Every slot is held while the buffers are swapped: no document is between getting
        // its sequence number and entering a buffer, so `seq` covers all sealed documents.
        let (sealed, seq): ([SealingBuffer], Int64) = exclusive {
            // Buffers a failed seal left behind come first: the sequence number returned covers
            // them too, so they must be written before any flush may publish it.
            var out: [SealingBuffer] = sealing
            var top = maxSeq
            for slot in slots {
                top = max(top, slot.maxSeq)
                guard slot.builder.count > 0 else { continue }
                let sb = SealingBuffer(slot.builder)
                sealing.append(sb)
                out.append(sb)
                slot.builder = SegmentBuilder()
                slot.cache.forgetBuilder()
            }
            return (out, top)
        }
        for sb in sealed {
            var seg: Segment? = nil
            var failure: Error? = nil
            var out: (bytes: [UInt8], docCount: Int, minTs: Int64, maxTs: Int64, newID: [Int32])? = nil
            do {
                out = SegmentWriter.write(sb.builder, tuning: .seal)
                if let o = out { seg = try Segment.inMemory(id: nextSegmentID(), bytes: o.bytes, verify: false) }
            } catch { failure = error }
            lock.withLock {
                if let seg, let o = out {
                    for d in sb.pendingDeletes where o.newID[Int(d)] >= 0 { seg.delete(doc: Int(o.newID[Int(d)])) }
                    memSegments.append(seg)
                }
                if failure == nil { sealing.removeAll { $0 === sb } }
            }
            if let failure { throw failure }
        }
        return seq
    }

    public func snapshot(markSearched: Bool = true) -> IndexSnapshot {
        lock.withLock {
            if markSearched { lastSearchNanos = DispatchTime.now().uptimeNanoseconds }
            let segs = (diskSegments + memSegments).map { ($0, $0.deletes) }
            return IndexSnapshot(name: name, uuid: uuid, mapping: currentMapping.0, analysis: analysis, segments: segs, failures: brokenSegments)
        }
    }

    // MARK: stats

    public struct Stats: Sendable {
        public var docs: Int; public var deleted: Int; public var storeBytes: Int64; public var segments: Int
        /// Heap bytes the index's segments hold decoded (dictionaries, columns) right now.
        public var segmentMemoryBytes = 0
    }

    /// One segment as `_cat/segments` shows it.
    public struct SegmentInfo: Sendable {
        public var id: Int64; public var docs: Int; public var deleted: Int; public var bytes: Int64
        public var memoryBytes: Int; public var committed: Bool
    }

    /// The index's searchable segments: flushed (committed) ones, then refreshed in-memory ones.
    public var segmentInfos: [SegmentInfo] {
        lock.withLock {
            diskSegments.map { SegmentInfo(id: $0.id, docs: $0.liveCount, deleted: $0.docCount - $0.liveCount, bytes: Int64($0.byteSize), memoryBytes: $0.decodedBytes, committed: true) }
            + memSegments.map { SegmentInfo(id: $0.id, docs: $0.liveCount, deleted: $0.docCount - $0.liveCount, bytes: Int64($0.byteSize), memoryBytes: $0.decodedBytes, committed: false) }
        }
    }

    /// The latest `@timestamp` among searchable documents (epoch ms), nil when none has one.
    /// From each segment's header, so a deleted document may still count until a merge.
    public var newestTimestamp: Int64? {
        lock.withLock {
            let t = (diskSegments + memSegments).filter { $0.liveCount > 0 }.map(\.maxTimestamp).max() ?? Int64.min
            return t == Int64.min ? nil : t
        }
    }

    public var stats: Stats {
        lock.withLock {
            let all = diskSegments + memSegments
            let docs = all.reduce(0) { $0 + $1.liveCount } + slots.reduce(0) { acc, s in acc + s.lock.withLock { s.builder.liveCount } }
            let deleted = all.reduce(0) { $0 + ($1.docCount - $1.liveCount) }
            let bytes = diskSegments.reduce(Int64(0)) { $0 + Int64($1.byteSize) }
            return Stats(docs: docs, deleted: deleted, storeBytes: bytes, segments: all.count, segmentMemoryBytes: all.reduce(0) { $0 + $1.decodedBytes })
        }
    }
}
