import Foundation

/// What `_stats` reports of an index's work since the server started: writes, searches,
/// flushes and the translog operations not yet covered by a flush. Updated once per request
/// per index (not per document), under a lock of its own.
public final class IndexCounters: @unchecked Sendable {
    /// A consistent copy of the counters.
    public struct Snapshot: Sendable {
        public var indexTotal = 0, indexFailed = 0, deleteTotal = 0, noopUpdateTotal = 0
        public var indexTimeNanos: UInt64 = 0
        public var queryTotal = 0, fetchTotal = 0, scrollTotal = 0
        public var queryTimeNanos: UInt64 = 0, scrollTimeNanos: UInt64 = 0
        public var flushTotal = 0, refreshTotal = 0
        /// Translog operations and bytes since the last flush (replayed on a restart).
        public var translogOps = 0, translogBytes = 0
        public init() {}
    }

    /// The kinds of search `_stats` counts apart.
    public enum SearchKind: Sendable { case query, fetch, scroll }

    private let lock = NSLock()
    private var s = Snapshot()

    public var snapshot: Snapshot { lock.withLock { s } }

    func addWrites(indexed: Int, deleted: Int, noops: Int, failed: Int, nanos: UInt64, translogOps: Int, translogBytes: Int) {
        lock.withLock {
            s.indexTotal &+= indexed; s.deleteTotal &+= deleted; s.noopUpdateTotal &+= noops; s.indexFailed &+= failed
            s.indexTimeNanos &+= nanos; s.translogOps &+= translogOps; s.translogBytes &+= translogBytes
        }
    }

    public func addSearch(_ kind: SearchKind, nanos: UInt64) {
        lock.withLock {
            switch kind {
            case .query: s.queryTotal &+= 1; s.queryTimeNanos &+= nanos
            case .fetch: s.fetchTotal &+= 1
            case .scroll: s.scrollTotal &+= 1; s.scrollTimeNanos &+= nanos
            }
        }
    }

    /// A flush wrote everything up to now: those translog operations are committed.
    func flushed() { lock.withLock { s.flushTotal &+= 1; s.translogOps = 0; s.translogBytes = 0 } }

    func refreshed() { lock.withLock { s.refreshTotal &+= 1 } }
}
