import Foundation

/// Indexing pressure, two bounds. The bytes of write requests in flight (from the body read
/// to the response) stay under `indexing_pressure.memory.limit`: past it a request is refused
/// whole with 429, as Elasticsearch does, and collectors retry. And a write request waits
/// (asynchronously, off the thread pool) while the write buffers of all indices hold more
/// than `Limits.indexingPressureBytes` of source, until the background flush has taken them:
/// on two cores ingest is CPU-bound, so the wait mostly hands the flush the time it needs;
/// after `Limits.indexingPressureMaxWaits` flushes it is refused with 429 too.
public final class IndexingPressure: @unchecked Sendable {
    private let lock = NSLock()
    /// `indexing_pressure.memory.limit`.
    public let limitBytes: Int64
    private var inFlight: Int64 = 0
    private var total: Int64 = 0
    private var rejected: Int64 = 0

    init(limitBytes: Int64) { self.limitBytes = limitBytes }

    /// Counts a request's bytes in, or refuses it when they would pass the limit.
    func begin(_ bytes: Int64) throws {
        try lock.withLock {
            // A limit near Int64.max from the config must not make the sum trap.
            let (sum, o) = inFlight.addingReportingOverflow(bytes)
            guard !o, sum <= limitBytes else {
                rejected += 1
                throw EngineError.rejected("rejected execution of coordinating operation [coordinating_and_primary_bytes=\(inFlight), replica_bytes=0, all_bytes=\(inFlight), coordinating_operation_bytes=\(bytes), max_coordinating_and_primary_bytes=\(limitBytes)]")
            }
            inFlight = sum
            total &+= bytes
        }
    }

    func end(_ bytes: Int64) { lock.withLock { inFlight -= bytes } }

    /// For `_nodes/stats`: bytes in flight now, bytes taken in all, rejections.
    public var stats: (current: Int64, total: Int64, rejections: Int64) {
        lock.withLock { (inFlight, total, rejected) }
    }

    fileprivate func noteBufferRejection() { lock.withLock { rejected += 1 } }
    private var flushes: UInt64 = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Wakes the flush loop as soon as a write fills the buffers, instead of at its next 50 ms
    /// poll: buffers filled at 60+ MB/s reached 9 MB between polls and held writers at the limit.
    let wake = DispatchSemaphore(value: 0)
    /// Set while the background flush runs: without it nobody would wake a waiter.
    private var running = false
    var active: Bool {
        get { lock.withLock { running } }
        set { lock.withLock { running = newValue } }
    }

    /// Called after every background flush.
    func flushed() {
        let ready: [CheckedContinuation<Void, Never>] = lock.withLock {
            flushes &+= 1
            defer { waiters.removeAll() }
            return waiters
        }
        for w in ready { w.resume() }
    }

    /// Waits for the next flush unless one has finished since `seen`.
    func waitForFlush(after seen: UInt64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = lock.withLock {
                if flushes != seen { return true }
                waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    var flushCount: UInt64 { lock.withLock { flushes } }

    /// Whether the last background flush failed (a full disk, an unwritable segment): the
    /// buffers cannot drain, so a write over the limit is refused at once instead of waiting
    /// through flush retries that back off to 30 s each.
    private var failing = false
    var flushFailing: Bool {
        get { lock.withLock { failing } }
        set { lock.withLock { failing = newValue } }
    }
}

extension Store {
    var totalBufferedBytes: Int { allIndices.reduce(0) { $0 + $1.bufferedBytes } }

    /// After a write: wakes the flush loop when the buffers are due for a flush.
    func wakeFlushIfDue() {
        if pressure.active && totalBufferedBytes >= options.flushBufferedBytes { pressure.wake.signal() }
    }

    /// Runs a write request's work with its `bytes` counted as in flight; refuses it with
    /// 429 (`EngineError.rejected`) when they would pass `indexing_pressure.memory.limit`.
    public func withIndexingPressure<T>(bytes: Int, _ body: () async throws -> T) async throws -> T {
        let n = Int64(bytes)
        try pressure.begin(n)
        defer { pressure.end(n) }
        return try await body()
    }

    /// The buffered source past which writes wait: the default's margin over the flush
    /// threshold (12 MB over 4 MB) kept when `indices.memory.index_buffer_size` moves it.
    var bufferPressureBytes: Int {
        options.flushBufferedBytes + (Limits.indexingPressureBytes - Limits.flushBufferedBytes)
    }

    /// Holds a write request while the write buffers are over the pressure limit; after
    /// `Limits.indexingPressureMaxWaits` flushes it is refused (429), so a flush that cannot
    /// keep up (or cannot write) never lets the buffers grow without bound.
    func admitWrite() async throws {
        guard pressure.active else { return }
        var waits = 0
        while true {
            let seen = pressure.flushCount
            let buffered = totalBufferedBytes
            let limit = bufferPressureBytes
            guard buffered > limit else { return }
            let failing = pressure.flushFailing
            guard !failing && waits < Limits.indexingPressureMaxWaits else {
                pressure.noteBufferRejection()
                let why = failing ? "flushing them is failing (the log says why)" : "\(waits) flushes did not bring them under"
                throw EngineError.rejected("rejected execution of write: the write buffers hold \(buffered) bytes, more than \(limit), and \(why); retry later")
            }
            await pressure.waitForFlush(after: seen)
            waits += 1
        }
    }
}
