import Foundation
import CSimdJSON

/// A circuit breaker as Elasticsearch has them: memory that requests are about to take is
/// estimated and added up across requests; a request that would pass the limit is stopped
/// with 429 `circuit_breaking_exception` before it takes it.
public final class MemoryBreaker: @unchecked Sendable {
    /// `request`, `in_flight_requests`.
    public let name: String
    public let limitBytes: Int64
    private let lock = NSLock()
    private var used: Int64 = 0
    private var tripped: Int64 = 0

    public init(name: String, limitBytes: Int64) { self.name = name; self.limitBytes = limitBytes }

    /// Adds `bytes` or throws when they would pass the limit (nothing is added then).
    public func add(_ bytes: Int64, what: String) throws {
        guard bytes > 0 else { return }
        try lock.withLock {
            let (sum, o) = used.addingReportingOverflow(bytes)
            guard !o, sum <= limitBytes else {
                tripped += 1
                throw EngineError.circuitBreaking(breaker: name, wanted: o ? Int64.max : sum, limit: limitBytes, what: what)
            }
            used = sum
        }
    }

    public func release(_ bytes: Int64) { guard bytes > 0 else { return }; lock.withLock { used = max(0, used - bytes) } }

    /// For `_nodes/stats`: estimated bytes held now, times tripped.
    public var stats: (estimated: Int64, tripped: Int64) { lock.withLock { (used, tripped) } }
}

/// What one request holds of a breaker; `set` moves it to a new estimate, `close` (or the
/// end of the request) gives it all back.
public final class MemoryAccount: @unchecked Sendable {
    public let breaker: MemoryBreaker
    private let lock = NSLock()
    private var held: Int64 = 0
    private var most: Int64 = 0

    public init(_ breaker: MemoryBreaker) { self.breaker = breaker }

    /// The most this account held at once (also what it was refused, when it tripped).
    public var peak: Int64 { lock.withLock { most } }

    /// Holds `total` bytes from now on; throws (holding what it held) when the growth trips.
    public func set(_ total: Int64, what: String) throws {
        try lock.withLock {
            most = max(most, total)
            if total > held { try breaker.add(total - held, what: what) } else { breaker.release(held - total) }
            held = total
        }
    }

    /// Adds `bytes` to what is held.
    public func add(_ bytes: Int64, what: String) throws {
        try lock.withLock {
            most = max(most, held &+ bytes)
            try breaker.add(bytes, what: what)
            held += bytes
        }
    }

    public func close() { lock.withLock { breaker.release(held); held = 0 } }
    deinit { breaker.release(held) }
}

/// Gives freed heap pages back to the system after a request that built large temporary
/// structures (an aggregation's partial states): the allocator keeps them otherwise, and under
/// a stream of heavy aggregations on several threads RSS kept what each arena once held. At
/// most once a second, on a background queue.
public enum HeapTrim {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var last: UInt64 = 0

    /// Bytes a request must have held for a trim to follow it.
    public static let afterBytes: Int64 = 8 * 1024 * 1024

    public static func soon() {
        let due: Bool = lock.withLock {
            guard last == 0 || Clock.elapsed(from: last) >= 1_000_000_000 else { return false }
            last = DispatchTime.now().uptimeNanoseconds
            return true
        }
        if due { DispatchQueue.global(qos: .utility).async { lp_release_free_memory() } }
    }
}
