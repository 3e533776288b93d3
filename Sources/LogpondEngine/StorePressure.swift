import Foundation

/// Indexing pressure: a write request waits (asynchronously, off the thread pool) while the
/// write buffers of all indices hold more than `Limits.indexingPressureBytes` of source, until
/// the background flush has taken them. On two cores ingest is CPU-bound, so the wait mostly
/// hands the flush the time it needs anyway; what it bounds is how much piles up in memory
/// while a flush and a merge run (the ingest peak grew with ingest speed).
final class IndexingPressure: @unchecked Sendable {
    private let lock = NSLock()
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
}

extension Store {
    var totalBufferedBytes: Int { allIndices.reduce(0) { $0 + $1.bufferedBytes } }

    /// After a write: wakes the flush loop when the buffers are due for a flush.
    func wakeFlushIfDue() {
        if pressure.active && totalBufferedBytes >= options.flushBufferedBytes { pressure.wake.signal() }
    }

    /// Holds a write request while the write buffers are over the pressure limit (at most
    /// `Limits.indexingPressureMaxWaits` flushes, so a stuck flush never stops writes).
    func admitWrite() async {
        guard pressure.active else { return }
        var waits = 0
        while waits < Limits.indexingPressureMaxWaits {
            let seen = pressure.flushCount
            guard totalBufferedBytes > Limits.indexingPressureBytes else { return }
            await pressure.waitForFlush(after: seen)
            waits += 1
        }
    }
}
