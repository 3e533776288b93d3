import CoreMetrics
import Foundation

/// Writes: bulk operations applied to indices, logged to the translog and fsynced before
/// they are acknowledged.
extension Store {
    /// Applies `ops` in order; each item succeeds or fails alone. Returns once every successful
    /// item is durable. Throws only when the translog cannot be written (nothing is acknowledged).
    public func write(_ ops: [WriteOp], refresh: Bool = false) async throws -> [Result<WriteResult, EngineError>] {
        // At the flood stage the whole request is refused (Elasticsearch's 429 for _bulk);
        // a request of deletes only goes on, since deleting is how space comes back.
        disk.checkIfDue()
        let firstWrite = ops.first { $0.action != .delete }
        if let w = firstWrite, disk.isBlocked { throw EngineError.floodStage(index: w.index) }
        // Deletes add no source to the buffers, so buffer pressure does not hold them either:
        // on a full disk the buffers cannot drain, and a delete waited behind them (a client's
        // 60 s timeout in CI) when deleting is how the operator makes room.
        if firstWrite != nil { try await admitWrite() }
        var results: [Result<WriteResult, EngineError>] = []
        results.reserveCapacity(ops.count)
        // The translog records go out in parts of about `Limits.translogChunkBytes`: the writer
        // thread writes and syncs the first while the rest are indexed, and the request waits at
        // the end for what is left, not for the whole request's bytes.
        let partCapacity = min(ops.reduce(0) { $0 + $1.source.count + 64 }, Limits.translogChunkBytes + 65_536)
        var framed = ByteWriter(capacity: partCapacity)
        var tickets: [TranslogTicket] = []
        var touched: [String: Index] = [:]
        // `_stats` tallies per index for this request (usually one index: a short list).
        var tally: [(idx: Index, indexed: Int, deleted: Int, noops: Int, failed: Int, ops: Int, bytes: Int)] = []
        func count(_ idx: Index, _ body: (inout (idx: Index, indexed: Int, deleted: Int, noops: Int, failed: Int, ops: Int, bytes: Int)) -> Void) {
            if let i = tally.firstIndex(where: { $0.idx === idx }) { body(&tally[i]) } else {
                var t = (idx: idx, indexed: 0, deleted: 0, noops: 0, failed: 0, ops: 0, bytes: 0); body(&t); tally.append(t)
            }
        }
        let loopStart = Clock.now()
        var lastName: String? = nil, lastIndex: Index? = nil
        for op in ops {
            var opIndex: Index? = nil
            do {
                if let id = op.id {
                    // Checked before anything is logged: the translog and stored blocks read
                    // ids back under a length limit, and Elasticsearch refuses longer ones.
                    guard !id.isEmpty else { throw EngineError.illegalArgument("if _id is specified it must not be empty") }
                    guard id.utf8.count <= Limits.maxIDBytes else {
                        throw EngineError.illegalArgument("id [\(EngineError.clip(id, max: 64))] is too long, must be no longer than \(Limits.maxIDBytes) bytes but was: \(id.utf8.count)")
                    }
                }
                // Consecutive operations name the same index: its alias, auto-create and
                // lookup are resolved once for the run, not per document (three locks each).
                let idx: Index
                if let l = lastIndex, lastName == op.index, l.currentState != "deleted" { idx = l } else {
                    let target = try writeIndexName(op.index) ?? op.index
                    try checkAutoCreate(target)
                    idx = try createIndex(target, failIfExists: false)
                    lastName = op.index; lastIndex = idx
                }
                opIndex = idx
                touched[idx.name] = idx
                let autoID = op.id == nil && op.action != .update
                let id = op.id ?? IDGenerator.next()
                let r: WriteResult
                var logged = op.source
                if autoID && op.action != .delete && op.conditions == WriteConditions() {
                    // Generated ids cannot collide: no lookup, any writer slot, no index lock.
                    r = try idx.indexAutoID(id: id, source: op.source, seq: { self.nextSeq() })
                } else {
                    (r, logged) = try idx.exclusive {
                        let seq = nextSeq()
                        switch op.action {
                        case .index, .create:
                            return (try idx.index(id: id, autoID: false, create: op.action == .create, source: op.source, seq: seq, conditions: op.conditions), op.source)
                        case .delete: return (try idx.delete(id: id, seq: seq, conditions: op.conditions), [])
                        case .update: return try applyUpdate(op, id: id, idx: idx, seq: seq)
                        }
                    }
                }
                let before = framed.count
                switch r.outcome {
                case .created, .updated:
                    Translog.appendFramed(TranslogOp(kind: .index, seq: r.seq, indexUUID: idx.uuid, id: id, version: r.version, autoID: autoID, source: logged), to: &framed)
                case .deleted:
                    Translog.appendFramed(TranslogOp(kind: .delete, seq: r.seq, indexUUID: idx.uuid, id: id, version: r.version, autoID: false, source: []), to: &framed)
                case .notFound, .noop: break
                }
                let loggedBytes = framed.count - before
                count(idx) { t in
                    switch r.outcome {
                    case .created, .updated: t.indexed += 1
                    case .deleted: t.deleted += 1
                    case .noop: t.noops += 1
                    case .notFound: break
                    }
                    if loggedBytes > 0 { t.ops += 1; t.bytes += loggedBytes }
                }
                results.append(.success(r))
            } catch let e as EngineError {
                if let i = opIndex { count(i) { $0.failed += 1 } }
                results.append(.failure(e))
            } catch let e as JSONFlattener.ParseError {
                results.append(.failure(.documentParse(e.description)))
            } catch {
                results.append(.failure(.documentParse("\(error)")))
            }
            if framed.count >= Limits.translogChunkBytes {
                tickets.append(try translog.enqueue(framed.bytes))
                framed = ByteWriter(capacity: partCapacity)
            }
        }
        let now = Clock.now()
        for idx in touched.values { idx.lock.withLock { idx.lastWriteNanos = now } }
        // The request's indexing time, shared among its indices by operations.
        let spent = Clock.elapsed(from: loopStart), n = max(1, tally.reduce(0) { $0 + $1.indexed + $1.deleted + $1.noops + $1.failed })
        for t in tally {
            let share = spent / UInt64(n) * UInt64(t.indexed + t.deleted + t.noops + t.failed)
            t.idx.counters.addWrites(indexed: t.indexed, deleted: t.deleted, noops: t.noops, failed: t.failed, nanos: share, translogOps: t.ops, translogBytes: t.bytes)
            if t.indexed > 0 {
                Counter(label: "logpond_documents_ingested_total", dimensions: [("index", t.idx.name)]).increment(by: Int64(t.indexed))
                Counter(label: "logpond_ingested_bytes_total", dimensions: [("index", t.idx.name)]).increment(by: Int64(t.bytes))
            }
        }
        // New fields reach the catalog before the documents that brought them are acknowledged.
        for idx in touched.values {
            let mj: String? = idx.mappingLock.withLock {
                guard idx.mappingDirty else { return nil }
                idx.mappingDirty = false
                return Index.mappingString(idx.mapping)
            }
            if let mj {
                do { try catalog.updateMapping(uuid: idx.uuid, mapping: mj) }
                catch EngineError.diskFull {
                    idx.mappingLock.withLock { idx.mappingDirty = true }   // the next flush writes it
                    throw EngineError.floodStage(index: idx.name)
                }
            }
        }
        wakeFlushIfDue()
        // A full disk met here (before the monitor saw it) answers as the flood stage does:
        // nothing of this request was acknowledged (the translog may keep its first parts, as
        // a bulk request that fails part-way may have applied some items in Elasticsearch).
        if framed.count > 0 { tickets.append(try translog.enqueue(framed.bytes)) }
        for t in tickets {
            do { try await t.wait() }
            catch EngineError.diskFull {
                // The translog told the disk monitor already (its onDiskFull).
                throw EngineError.floodStage(index: firstWrite?.index ?? ops.first?.index ?? "_all")
            }
        }
        if refresh { for idx in touched.values { try? self.refresh(idx) } }
        return results
    }

    /// One `update`: the partial document merged into the live one (a no-op when it changes
    /// nothing and `detect_noop`), or the upsert when there is none. Returns what to log: the
    /// whole resulting source, so replay is a plain index operation.
    func applyUpdate(_ op: WriteOp, id: String, idx: Index, seq: Int64) throws -> (WriteResult, [UInt8]) {
        guard let spec = op.update else { throw EngineError.illegalArgument("an update needs a partial document [doc] or an [upsert]") }
        guard let current = try idx.stored(id: id) else {
            guard let src = spec.upsert ?? (spec.docAsUpsert ? spec.doc : nil) else { throw EngineError.documentMissing(index: idx.name, id: id) }
            return (try idx.index(id: id, autoID: false, create: false, source: src, seq: seq, conditions: op.conditions), src)
        }
        try op.conditions.check(index: idx.name, id: id, existing: (current.version, current.seq))
        guard let doc = spec.doc else {
            // An upsert alone on an existing document changes nothing (as a script-less update).
            return (WriteResult(index: idx.name, id: id, version: current.version, seq: current.seq, outcome: .noop), [])
        }
        guard let (merged, changed) = SourceMerge.merge(current.source, doc) else {
            throw EngineError.documentParse("the partial document [doc] and the stored document must both be JSON objects")
        }
        if !changed && spec.detectNoop {
            return (WriteResult(index: idx.name, id: id, version: current.version, seq: current.seq, outcome: .noop), [])
        }
        return (try idx.index(id: id, autoID: false, create: false, source: merged, seq: seq), merged)
    }

    /// Makes buffered documents of `idx` searchable now.
    public func refresh(_ idx: Index) throws {
        try idx.refresh(nextSegmentID: nextSegmentID)
    }

    /// Refreshes every index (POST /_refresh).
    public func refreshAll() throws { for idx in allIndices { try refresh(idx) } }

    /// A search snapshot; a search-idle index is refreshed first, as Elasticsearch does after
    /// index.search.idle.after. Always, not only with documents in the write buffer: a flush
    /// may have taken the buffer and still be writing it, and the refresh waits for that seal
    /// (its lock) so the search sees those documents too.
    public func searchSnapshot(_ idx: Index) -> IndexSnapshot {
        let searchedAt = idx.lock.withLock { idx.lastSearchNanos }
        if Clock.elapsed(from: searchedAt) > Limits.searchIdleNanos { try? refresh(idx) }
        return idx.snapshot()
    }

    /// Called when a search (or count) is done with its snapshots: what it left resident or
    /// decoded counts against `logpond.search.memory_budget`, least recently searched first out.
    public func searchFinished(_ snaps: [IndexSnapshot]) {
        searchMemory.searched(snaps.flatMap { $0.segments.map { $0.segment } })
    }
}

/// Elasticsearch-style 20-character URL-safe ids: time first (so they sort by arrival and
/// share long prefixes in the term dictionary), then a counter, then six bytes fixed per
/// process (Elasticsearch uses the MAC address) so ids of one node differ only where they must.
/// The time never goes backwards and the counter breaks ties, so ids of one process are unique.
public enum IDGenerator {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter: UInt32 = UInt32.random(in: 0...0xFFFFFF)
    nonisolated(unsafe) private static var lastMillis: UInt64 = 0
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    /// The last 8 characters of every id: six random bytes fixed per process, encoded once.
    private static let nodeChars: [UInt8] = {
        let node = (0..<6).map { _ in UInt32.random(in: 0...255) }
        return [node[0] << 16 | node[1] << 8 | node[2], node[3] << 16 | node[4] << 8 | node[5]].flatMap { v in
            [18, 12, 6, 0].map { alphabet[Int((v >> UInt32($0)) & 63)] }
        }
    }()

    public static func next() -> String {
        let (c, ms) = lock.withLock { () -> (UInt32, UInt64) in
            counter = (counter &+ 1) & 0xFFFFFF
            lastMillis = max(lastMillis, UInt64(Date().timeIntervalSince1970 * 1000))
            // A wrapped counter within one millisecond would repeat an id: move time on instead.
            if counter == 0 { lastMillis += 1 }
            return (counter, lastMillis)
        }
        // Written straight into the string's storage: arrays per id (and one per 3-byte group)
        // were 2% of ingest.
        return String(unsafeUninitializedCapacity: 20) { out in
            @inline(__always) func group(_ v: UInt32, _ at: Int) {
                out[at] = alphabet[Int((v >> 18) & 63)]; out[at + 1] = alphabet[Int((v >> 12) & 63)]
                out[at + 2] = alphabet[Int((v >> 6) & 63)]; out[at + 3] = alphabet[Int(v & 63)]
            }
            // Bytes 0-8 (time, counter) in three groups, then the node's characters.
            group(UInt32(truncatingIfNeeded: (ms >> 24) & 0xFFFFFF), 0)
            group(UInt32(truncatingIfNeeded: ms & 0xFFFFFF), 4)
            group(c & 0xFFFFFF, 8)
            for k in 0..<8 { out[12 + k] = nodeChars[k] }
            return 20
        }
    }
}
