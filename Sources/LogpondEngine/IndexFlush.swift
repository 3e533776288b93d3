import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Flush and merge: moving segments from memory to disk and keeping their number bounded.
extension Index {
    /// Writes every refreshed and buffered document to segment files and publishes them in the
    /// catalog together with the flushed sequence number. Blocking: call off the event loop.
    func flush(catalog: Catalog, nextSegmentID: () -> Int64) throws {
        // Seal and take the in-memory segments together, so no segment holding operations
        // newer than flushSeq is written under this flush (replay would add them twice).
        let (flushSeq, toWrite, dirty, mappingJSON): (Int64, [Segment], [Segment], String?) = try refreshLock.withLock {
            let seq = try sealBuffer(nextSegmentID: nextSegmentID)
            return lock.withLock {
                let dirtySegs = diskSegments.filter { dirtyDeletes.contains($0.id) }
                dirtyDeletes.removeAll()
                let mj: String? = mappingLock.withLock {
                    defer { mappingDirty = false }
                    return mappingDirty ? Self.mappingString(mapping) : nil
                }
                return (seq, memSegments, dirtySegs, mj)
            }
        }
        if let mj = mappingJSON { try catalog.updateMapping(uuid: uuid, mapping: mj) }
        if toWrite.isEmpty && dirty.isEmpty && flushSeq == flushedSeq { return }
        var records: [SegmentRecord] = []
        var paths: [String] = []
        for seg in toWrite {
            // A failed write (a full disk) takes back the files this flush already wrote; the
            // segments stay in memory and the next flush tries again.
            let path: String
            do { path = try SegmentFiles.writeDurably(seg.data.buffer, dir: dir, id: seg.id) }
            catch { for p in paths { unlink(p) }; throw error }
            paths.append(path)
            records.append(SegmentRecord(id: seg.id, indexUUID: uuid, file: FileNames.segment(id: seg.id), docCount: seg.docCount,
                                         minTs: seg.minTimestamp, maxTs: seg.maxTimestamp, size: Int64(seg.byteSize), deletes: nil))
        }
        let committedDeletes = toWrite.map { $0.deletes }
        for i in records.indices { records[i].deletes = committedDeletes[i]?.serialize() }
        let dirtyPayload = dirty.map { ($0.id, ($0.deletes ?? Bitset(count: $0.docCount)).serialize()) }
        do {
            try catalog.commit(indexUUID: uuid, add: records, remove: [], deletes: dirtyPayload, flushedSeq: flushSeq)
        } catch {
            for p in paths { unlink(p) }
            if lock.withLock({ state == "deleted" }) { return }
            throw error
        }
        // The bytes were checked when they became an in-memory segment: no second checksum pass.
        let opened = try zip(toWrite, paths).map { (mem, p) in try Segment.open(id: mem.id, path: p, verify: false) }
        lock.withLock {
            for (i, mem) in toWrite.enumerated() {
                let disk = opened[i]
                let current = mem.deletes
                disk.setDeletes(current)
                if current != committedDeletes[i] { dirtyDeletes.insert(disk.id) }
            }
            let written = Set(toWrite.map { $0.id })
            memSegments.removeAll { written.contains($0.id) }
            diskSegments.append(contentsOf: opened)
            flushedSeq = max(flushedSeq, flushSeq)
        }
        counters.flushed()
    }

    static func mappingString(_ m: Mapping) -> String {
        var j = MappingJSON.toJSON(m)
        j["_logpond"] = ["date_detection": m.dateDetection, "numeric_detection": m.numericDetection]
        let d = (try? JSONSerialization.data(withJSONObject: j, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: d, as: UTF8.self)
    }

    /// Segments the tiered policy (MergePolicy) would merge now; with `force`, all of them when
    /// there are more than that many.
    func mergeCandidates(force maxSegments: Int? = nil) -> [Segment] {
        lock.withLock {
            if let m = maxSegments { return diskSegments.count > m ? diskSegments.sorted { $0.byteSize < $1.byteSize } : [] }
            return MergePolicy.tier(diskSegments.map { $0.byteSize }).map { diskSegments[$0] }
        }
    }

    /// Rewrites `segs` as one segment (SegmentMerger: no re-indexing) and swaps it in atomically;
    /// `tuning` says how its stored blocks are compressed.
    /// `betweenFields` runs before each field is merged (background merges wait there for a
    /// running flush).
    func merge(_ segs: [Segment], catalog: Catalog, nextSegmentID: () -> Int64, tuning: SegmentWriter.Tuning = SegmentWriter.Tuning(),
               betweenFields: () -> Void = {}) throws {
        guard segs.count > 1 else { return }
        let startDeletes = lock.withLock { segs.map { $0.deletes } }
        let newID = nextSegmentID()
        var merged: Segment? = nil
        var record: [SegmentRecord] = []
        let spill = try SegmentSpill(dir: dir, id: newID)
        do {
            if let out = try SegmentMerger.merge(segs, deletes: startDeletes, tuning: tuning, spill: spill, betweenFields: betweenFields) {
                let path = try spill.publish()
                merged = try Segment.open(id: newID, path: path, verify: false)   // its checksum was just computed
                record = [SegmentRecord(id: newID, indexUUID: uuid, file: FileNames.segment(id: newID), docCount: out.docCount,
                                        minTs: out.minTs, maxTs: out.maxTs, size: Int64(out.length), deletes: nil)]
            } else { spill.discard() }
        } catch {
            // No temporary or half-published output stays behind a failed merge.
            spill.discard()
            unlink(dir + "/" + FileNames.segment(id: newID))   // a fresh id the catalog never saw
            throw error
        }
        try lock.withLock {
            let present = Set(diskSegments.map { $0.id })
            guard segs.allSatisfy({ present.contains($0.id) }) else { return }
            // Deletions that arrived during the merge move to the merged segment.
            if let merged {
                for (k, seg) in segs.enumerated() {
                    guard let now = seg.deletes, now != startDeletes[k] else { continue }
                    for d in 0..<seg.docCount where now.contains(d) && !(startDeletes[k]?.contains(d) ?? false) {
                        let old = try seg.document(d)
                        if let dict = try merged.dictionary("_id"), let ord = dict.find(old.id) {
                            for nd in try dict.docs(ord) where try merged.document(Int(nd)).seq == old.seq { merged.delete(doc: Int(nd)) }
                        }
                    }
                }
                record[0].deletes = merged.deletes?.serialize()
            }
            do {
                try catalog.commit(indexUUID: uuid, add: record, remove: segs.map { $0.id }, deletes: [], flushedSeq: nil)
            } catch {
                merged?.markObsolete()
                throw error
            }
            let gone = Set(segs.map { $0.id })
            diskSegments.removeAll { gone.contains($0.id) }
            if let merged { diskSegments.append(merged) }
            diskSegments.sort { $0.minTimestamp < $1.minTimestamp }
            dirtyDeletes.subtract(gone)
            for s in segs { s.markObsolete() }
        }
    }
}
