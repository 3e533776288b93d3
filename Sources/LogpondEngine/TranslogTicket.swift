import Foundation

/// One queued translog append: `wait()` returns once its bytes are on disk (or throws what
/// the write met). Queued without waiting, a request's first operations are written and
/// synced while its later ones are still being indexed.
public final class TranslogTicket: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: Result<Void, Error>?
    private var waiter: CheckedContinuation<Void, Error>?

    init() {}

    /// Called once by the translog thread.
    func complete(_ r: Result<Void, Error>) {
        lock.lock()
        if let w = waiter {
            waiter = nil
            lock.unlock()
            w.resume(with: r)
        } else {
            outcome = r
            lock.unlock()
        }
    }

    /// Returns once the append is durable.
    public func wait() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
            lock.lock()
            if let r = outcome {
                lock.unlock()
                c.resume(with: r)
            } else {
                waiter = c
                lock.unlock()
            }
        }
    }
}
