import Foundation
import LogpondEngine
import LogpondQuery

/// Elasticsearch's search thread pool (`thread_pool.search.size`, `queue_size`): at most
/// `size` searches run at once, up to `queueSize` wait, and beyond that a search is refused
/// with 429 `es_rejected_execution_exception`. A search runs on the request's own thread while
/// fewer than `inlineMax` do (one fewer than the cooperative threads, so writes always keep
/// one), otherwise, and always with aggregations, on threads of its own: the hop there and back
/// costs 0.05–0.1 ms a search (docs/benchmarks.md).
final class SearchPool: @unchecked Sendable {
    let size: Int
    let queueSize: Int
    private let lock = NSLock()
    private var active = 0
    private var waiting: [(id: UInt64, c: CheckedContinuation<Void, Error>)] = []
    private var nextID: UInt64 = 0
    private var largest = 0
    private var completed: Int64 = 0
    private var rejected: Int64 = 0
    /// Searches whose client left, queued or running.
    private var cancelled: Int64 = 0
    private let queue = DispatchQueue(label: "lp-search", qos: .userInitiated, attributes: .concurrent)
    private var inline = 0
    /// Searches that may run on cooperative threads at once.
    let inlineMax: Int

    init(size: Int, queueSize: Int, cooperativeThreads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.size = max(1, size); self.queueSize = max(0, queueSize)
        inlineMax = max(0, cooperativeThreads - 1)
    }

    /// Whether a search body may ask for aggregations (a byte scan; a false alarm only costs
    /// the hop to the pool's threads).
    static func mayAggregate(_ body: [UInt8]) -> Bool {
        // memchr and memcmp, not the standard library's generic subsequence search: that one
        // looked its generic metadata up on every call, 10% of a small search's server time
        // (issue 17). Each step moves past the last candidate, so the loop ends.
        func has(_ needle: StaticString) -> Bool {
            let n = needle.utf8CodeUnitCount
            return body.withUnsafeBytes { b in
                guard let base = b.baseAddress, b.count >= n else { return false }
                var at = 0
                while at <= b.count - n, let q = memchr(base + at, Int32(needle.utf8Start[0]), b.count - n - at + 1) {
                    if memcmp(q, needle.utf8Start, n) == 0 { return true }
                    at = base.distance(to: UnsafeRawPointer(q)) + 1
                }
                return false
            }
        }
        return has("\"aggs\"") || has("\"aggregations\"")
    }

    /// Elasticsearch's default size: int(cores × 3 / 2) + 1.
    static var defaultSize: Int { ProcessInfo.processInfo.activeProcessorCount * 3 / 2 + 1 }

    /// Runs `work` once a slot is free; a search whose client went away while it waited
    /// leaves the queue. `mayRunInline` false keeps it on the pool's threads whatever the
    /// count: requests with aggregations, whose large temporary states are better built (and
    /// given back, `HeapTrim`) there.
    func run<T: Sendable>(_ cancelled: (@Sendable () -> Bool)? = nil, mayRunInline: Bool = true, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        try Task.checkCancellation()
        // A client that left while its search was queued: the slot goes to the next one.
        if let cancelled, cancelled() {
            lock.withLock { self.cancelled += 1 }
            throw CancellationError()
        }
        let runInline: Bool = lock.withLock {
            guard mayRunInline, inline < inlineMax else { return false }
            inline += 1
            return true
        }
        do {
            if runInline {
                defer { lock.withLock { inline -= 1 } }
                return try work()
            }
            return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
                // Task-locals (`?pretty`) do not cross to a GCD thread by themselves.
                let pretty = ESResponse.pretty
                queue.async { c.resume(with: Result { try ESResponse.$pretty.withValue(pretty) { try work() } }) }
            }
        } catch let e as QueryError where e.type == QueryError.cancelled.type {
            lock.withLock { self.cancelled += 1 }
            throw e
        }
    }

    private func acquire() async throws {
        // A free slot is taken without suspending: a continuation resumed at once still
        // re-enqueues the task on the global executor, a thread wake-up per search (issue 17).
        if lock.withLock({ waiting.isEmpty && takeSlot() }) { return }
        let id: UInt64 = lock.withLock { nextID &+= 1; return nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                let outcome: Int = lock.withLock {
                    if takeSlot() { return 0 }
                    if waiting.count < queueSize { waiting.append((id, c)); return 1 }
                    rejected += 1
                    return 2
                }
                switch outcome {
                case 0: c.resume()
                case 1: break
                default:
                    c.resume(throwing: EngineError.rejected("rejected execution of search on the search thread pool [size = \(size), queue capacity = \(queueSize), active threads = \(size), queued tasks = \(queueSize)]; retry later"))
                }
            }
        } onCancel: {
            let c: CheckedContinuation<Void, Error>? = lock.withLock {
                guard let i = waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return waiting.remove(at: i).c
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Takes a running slot if one is free (call with `lock` held).
    private func takeSlot() -> Bool {
        guard active < size else { return false }
        active += 1; largest = max(largest, active)
        return true
    }

    private func release() {
        let next: CheckedContinuation<Void, Error>? = lock.withLock {
            completed += 1
            // The slot passes straight to the first waiter, so `active` stays the same.
            if !waiting.isEmpty { return waiting.removeFirst().c }
            active -= 1
            return nil
        }
        next?.resume()
    }

    /// `_nodes/stats` `thread_pool.search`.
    var stats: [(String, Any)] {
        lock.withLock {
            [("threads", size), ("queue", waiting.count), ("active", active), ("rejected", rejected), ("largest", largest), ("completed", completed), ("cancelled", cancelled)]
        }
    }
}
