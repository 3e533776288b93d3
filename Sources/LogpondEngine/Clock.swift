import Foundation

/// Monotonic time for intervals. Two threads can read the clock and stamp a time in either
/// order (a search stamps `lastSearchNanos` after the flush loop read `now`), so a difference
/// of two readings saturates at zero instead of trapping on `UInt64` underflow.
public enum Clock {
    public static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Nanoseconds from `start` to `end`, or 0 when `start` is later.
    public static func elapsed(from start: UInt64, to end: UInt64 = now()) -> UInt64 { end >= start ? end - start : 0 }
}
