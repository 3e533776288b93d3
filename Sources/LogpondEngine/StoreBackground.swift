import CoreMetrics
import Foundation
import CSimdJSON
#if canImport(Glibc)
import Glibc
#endif

/// Scheduled refresh, flush and merge, on threads of their own (file I/O, fsync and
/// compression never run on the event loop).
extension Store {
    public func startBackground() {
        lp_configure_allocator()
        let t = Thread { [weak self] in self?.refreshFlushLoop() }
        t.name = "logpond-refresh-flush"
        t.start()
        let m = Thread { [weak self] in self?.mergeLoop() }
        m.name = "logpond-merge"
        m.start()
        disk.onRetryWrites = { [weak self] in self?.requestFlush() }
        disk.start(stopped: { [weak self] in self?.isStopping ?? true })
    }

    private func refreshFlushLoop() {
        OSThread.name("lp-flush")
        pressure.active = true
        defer { pressure.active = false; pressure.flushed() }
        var lastFlush = DispatchTime.now().uptimeNanoseconds
        var lastRefresh = lastFlush
        var lastRelease = lastFlush
        var retryAfterNanos: UInt64 = 0
        while !isStopping {
            _ = pressure.wake.wait(timeout: .now() + .milliseconds(50))
            let now = DispatchTime.now().uptimeNanoseconds
            // A negative interval (Elasticsearch's -1) turns scheduled refresh off.
            if options.refreshIntervalMillis >= 0 && Clock.elapsed(from: lastRefresh, to: now) >= UInt64(min(options.refreshIntervalMillis, 1 << 40)) * 1_000_000 {
                lastRefresh = now
                for idx in allIndices {
                    let searchedAt = idx.lock.withLock { idx.lastSearchNanos }
                    let active = Clock.elapsed(from: searchedAt, to: now) < Limits.searchIdleNanos && idx.pendingDocs > 0
                    if active { try? refresh(idx) }
                }
            }
            // Once a second, whatever the refresh schedule (`refresh_interval: -1` too).
            if Clock.elapsed(from: lastRelease, to: now) >= 1_000_000_000 {
                lastRelease = now
                releaseIdlePages(now: now)
            }
            let buffered = totalBufferedBytes
            let requested = stopLock.withLock { defer { flushRequested = false }; return flushRequested }
            if requested { retryAfterNanos = 0 }
            let due = requested || buffered >= options.flushBufferedBytes || Clock.elapsed(from: lastFlush, to: now) >= UInt64(min(max(0, options.flushIntervalMillis), 1 << 40)) * 1_000_000
            if due && Clock.elapsed(from: lastFlush, to: now) >= retryAfterNanos {
                lastFlush = now
                do {
                    try flushAllBlocking()
                    if flushFailures > 0 { log("[logpond] flush succeeded again after \(flushFailures) failed attempts") }
                    flushFailures = 0
                    retryAfterNanos = 0
                    pressure.flushFailing = false
                    disk.writesRecovered()
                } catch {
                    // The buffers stay in memory and in the translog; the next try waits
                    // longer each time (a full disk is freed by hand, not by retrying).
                    if case EngineError.diskFull(let p) = error { disk.noteFull(p) }
                    flushFailures += 1
                    pressure.flushFailing = true
                    let millis = Limits.retryDelayMillis(afterFailures: flushFailures)
                    retryAfterNanos = UInt64(millis) * 1_000_000
                    if flushFailures <= 3 || flushFailures % 20 == 0 {
                        log("[logpond] flush failed (attempt \(flushFailures), next in \(millis) ms): \(error)", .error)
                    }
                }
                pressure.flushed()
            } else if buffered == 0 && Clock.elapsed(from: lastFlush, to: now) >= Limits.trimAfterIdleNanos && stopLock.withLock({ trimPending }) {
                // Trimming after every flush of a sustained ingest gave the pages back only to
                // fault them in again: 1M documents took 22.8 s of server CPU with a trim per
                // flush, 18.9–19.9 s with this (Benchmarks/ingest.py, server_cpu_s_ingest).
                stopLock.withLock { trimPending = false }
                lp_release_free_memory()
            }
        }
    }

    /// Gives back the mapped pages searches touched in indices no search has used for
    /// `Limits.searchIdleNanos`, once per quiet spell: they stayed resident for the process's
    /// life, so RSS followed every day a dashboard had once looked at (160 MB of mapped pages
    /// after q1–q8 over a month of daily indices, issue 17). The page cache keeps them; a later
    /// search maps them again with minor faults.
    func releaseIdlePages(now: UInt64) {
        var dropped = 0
        for idx in allIndices {
            let segments: [Segment]? = idx.lock.withLock {
                guard Clock.elapsed(from: idx.lastSearchNanos, to: now) >= Limits.searchIdleNanos,
                      idx.pagesReleasedForSearch != idx.lastSearchNanos else { return nil }
                idx.pagesReleasedForSearch = idx.lastSearchNanos
                return idx.diskSegments
            }
            // The decoded structures too: after a month's searches they were most of the
            // anonymous memory (issue 17: 646 MB at 10M records over 30 days).
            for seg in segments ?? [] { seg.data.releaseResidentPages(); dropped += seg.forgetDecoded() }
        }
        // One trim for every index that went quiet at once.
        if dropped > 0 { lp_release_free_memory() }
    }

    /// Asks the flush loop for a flush now, past any back-off (the disk has room again).
    func requestFlush() {
        stopLock.withLock { flushRequested = true }
        pressure.wake.signal()
    }

    private func mergeLoop() {
        OSThread.name("lp-merge")
        _ = Self.mergeTimer
        // Per index: failures in a row and when to try again (0.5 s, doubling to 30 s), so a
        // merge that cannot succeed (a full disk, a damaged input) is not retried twice a second.
        var failures: [String: (count: Int, retryAt: UInt64)] = [:]
        while !isStopping {
            Thread.sleep(forTimeInterval: 0.5)
            for idx in allIndices {
                if let f = failures[idx.uuid], DispatchTime.now().uptimeNanoseconds < f.retryAt { continue }
                idx.mergeLock.withLock {
                    var c = idx.mergeCandidates()
                    var tuning = SegmentWriter.Tuning()
                    if c.count <= 1, idleMergeDue(idx) {
                        c = idx.mergeCandidates(force: 1)
                        tuning = .forceMerge
                        idx.lock.withLock { idx.idleMerged = true }
                    }
                    guard c.count > 1 else { return }
                    // The output is about the inputs' size and exists beside them until the
                    // swap: without that much room above the flood stage the merge waits.
                    guard disk.hasRoom(forBytes: c.reduce(Int64(0)) { $0 + Int64($1.byteSize) }) else { return }
                    // A field's merge does not start while a flush runs: the two threads' working
                    // sets took turns instead of adding up at the ingest peak.
                    do {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        try idx.merge(c, catalog: catalog, nextSegmentID: nextSegmentID, tuning: tuning, betweenFields: { self.flushLock.withLock {} })
                        Self.mergeTimer.recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- t0))
                    }
                    catch {
                        if case EngineError.diskFull(let p) = error { disk.noteFull(p) }
                        let n = (failures[idx.uuid]?.count ?? 0) + 1
                        let millis = Limits.retryDelayMillis(afterFailures: n)
                        failures[idx.uuid] = (n, DispatchTime.now().uptimeNanoseconds &+ UInt64(millis) * 1_000_000)
                        if n <= 3 || n % 20 == 0 { log("[logpond] merge of index [\(idx.name)] failed (attempt \(n), next in \(millis) ms): \(error)", .error) }
                        return
                    }
                    failures[idx.uuid] = nil
                    stopLock.withLock { trimPending = true }
                }
            }
        }
    }

    /// Whether `idx` has gone without writes long enough to be merged to one segment: nothing
    /// buffered or unflushed, not merged so since this process opened it.
    func idleMergeDue(_ idx: Index) -> Bool {
        guard options.idleMergeAfterMillis >= 0, idx.currentState == "open" else { return false }
        let after = UInt64(min(options.idleMergeAfterMillis, 1 << 40)) * 1_000_000
        let (last, done, quiet) = idx.lock.withLock { (idx.lastWriteNanos, idx.idleMerged, idx.memSegments.isEmpty && idx.diskSegments.count > 1) }
        return !done && quiet && Clock.elapsed(from: last, to: Clock.now()) >= after && idx.pendingDocs == 0
    }

    /// Flushes every index and trims the translog. Blocking: call from a background thread.
    public func flushAllBlocking() throws {
        try flushLock.withLock {
            let sem = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var gen: Int64 = 0
            nonisolated(unsafe) var rollError: Error?
            Task { do { gen = try await self.translog.roll() } catch { rollError = error }; sem.signal() }
            sem.wait()
            if let e = rollError { throw e }
            for idx in allIndices where idx.currentState == "open" {
                try idx.flush(catalog: catalog, nextSegmentID: nextSegmentID)
            }
            translog.trim(below: gen)
        }
        // Flushed buffers are large and short-lived: their pages go back once writes pause.
        stopLock.withLock { trimPending = true }
    }

    /// Flush from async code, on a background thread.
    public func flushAll() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            DispatchQueue.global().async {
                do { try self.flushAllBlocking(); c.resume() } catch { c.resume(throwing: error) }
            }
        }
    }

    /// Merges each index down to at most `maxSegments` segments (POST /_forcemerge).
    public func forceMerge(_ indices: [Index], maxSegments: Int) async throws {
        try await flushAll()
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            DispatchQueue.global().async {
                do {
                    for idx in indices {
                        try idx.mergeLock.withLock {
                            let segs = idx.mergeCandidates(force: maxSegments)
                            if segs.count > 1 {
                                try idx.merge(segs, catalog: self.catalog, nextSegmentID: self.nextSegmentID, tuning: .forceMerge)
                            }
                        }
                        lp_release_free_memory()
                    }
                    c.resume()
                } catch { c.resume(throwing: error) }
            }
        }
    }

    public func shutdown() {
        stopLock.withLock { stoppingFlag = true }
        try? flushAllBlocking()
        translog.close()
    }
}

/// Names the calling thread for the operating system (`top -H`, `ps -L`, perf): Foundation's
/// `Thread.name` does not reach the kernel on Linux. At most 15 bytes.
enum OSThread {
    static func name(_ n: String) { lp_set_thread_name(n) }
}

extension Store {
    /// `logpond_merge_duration_seconds`: background merges (their count is the histogram's).
    static let mergeTimer = CoreMetrics.Timer(label: "logpond_merge_duration_seconds")
}
