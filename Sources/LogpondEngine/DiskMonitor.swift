import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Watches the disk of the data folder against the watermarks: at the flood stage every
/// index turns read-only-allow-delete (writes answer 429, reads and deletes go on) until
/// usage falls below the high watermark. Keeps the reserve file that lets deletes and a
/// start succeed on a full disk. Checked every `checkIntervalMillis`, by writes at most
/// once a second, and at once when any write meets a full disk.
public final class DiskMonitor: @unchecked Sendable {
    public let dataPath: String
    /// The thresholds in force: from the config at start, changed by `_cluster/settings`.
    public var watermarks: DiskWatermarks {
        get { watermarkLock.withLock { current } }
        set { watermarkLock.withLock { current = newValue } }
    }
    private var current: DiskWatermarks
    private let watermarkLock = NSLock()
    private let lock = NSLock()
    private var level = DiskLevel.ok
    private var blocked = false
    private var lastUsage: DiskUsage?
    private var lastCheck: UInt64 = 0
    private var reservePresent = false
    /// Set when a write met a full disk, cleared when a flush succeeds again: until then the
    /// block stays whatever the percentages say (a flush of a few MB fails on a disk that is
    /// under the flood stage by less than that, and writes would only pile up in the translog).
    private var writeFailing = false
    private var retryHook: (@Sendable () -> Void)?
    /// Called (outside the lock) when usage is below the high watermark but the last write
    /// failed: the store retries its flush now, and a success lifts the block.
    var onRetryWrites: (@Sendable () -> Void)? {
        get { lock.withLock { retryHook } }
        set { lock.withLock { retryHook = newValue } }
    }
    /// Called (outside the lock) after a check finds the disk past the low watermark:
    /// retention's size budget runs then, before the flood stage is reached.
    var onPressure: (@Sendable () -> Void)? {
        get { lock.withLock { pressureHook } }
        set { lock.withLock { pressureHook = newValue } }
    }
    private var pressureHook: (@Sendable () -> Void)?
    let log: LogSink
    let reserveBytes: Int64

    init(dataPath: String, watermarks: DiskWatermarks, reserveBytes: Int64 = Limits.diskReserveBytes, log: @escaping LogSink) {
        self.dataPath = dataPath
        self.current = watermarks
        self.reserveBytes = reserveBytes
        self.log = log
        reservePresent = FileManager.default.fileExists(atPath: reservePath)
    }

    var reservePath: String { dataPath + "/" + FileNames.diskReserve }

    /// Whether writes are refused (the flood-stage block).
    public var isBlocked: Bool { lock.withLock { blocked } }
    public var currentLevel: DiskLevel { lock.withLock { level } }
    /// The last measurement (for `_nodes/stats` and `_cat/allocation`); measures if none yet.
    public var usage: DiskUsage? { lock.withLock { lastUsage } ?? DiskUsage.of(dataPath) }
    public var hasReserve: Bool { lock.withLock { reservePresent } }

    /// Looks at the disk now, moves the block and the reserve, logs each crossing.
    @discardableResult
    public func check() -> DiskLevel {
        guard let raw = DiskUsage.of(dataPath) else { return currentLevel }
        var crossed: [String] = []
        var pressure = false
        var retry = false
        let lvl: DiskLevel = lock.withLock {
            lastCheck = DispatchTime.now().uptimeNanoseconds
            // While given up, the reserve still counts as used: making it again must not
            // push the disk back over a watermark it just fell under.
            let u = reservePresent ? raw : raw.using(reserveBytes)
            lastUsage = raw
            let new = watermarks.level(u)
            let at = "\(dataPath): \(ByteSize.format(u.used)) used of \(ByteSize.format(u.total)) (\(String(format: "%.1f", u.usedPercent))%), \(ByteSize.format(u.available)) free"
            if new != level {
                switch new {
                case .floodStage: crossed.append("flood stage disk watermark [\(watermarks.floodStage)] exceeded on \(at); every index is read-only-allow-delete: writes get 429 until usage falls below the high watermark [\(watermarks.high)]. Delete old indices to free space")
                case .high: crossed.append("high disk watermark [\(watermarks.high)] exceeded on \(at)")
                case .low: crossed.append("low disk watermark [\(watermarks.low)] exceeded on \(at)")
                case .ok: crossed.append("disk usage below the low watermark [\(watermarks.low)] on \(at)")
                }
                level = new
            }
            if new == .floodStage { blocked = true }
            if blocked && new < .high && writeFailing { retry = true }
            if blocked && new < .high && !writeFailing {
                blocked = false
                crossed.append("disk usage below the high watermark [\(watermarks.high)] on \(at); the read-only-allow-delete block is lifted, writes are accepted again")
            }
            pressure = new >= .low
            return new
        }
        for c in crossed { log(.warning, "[logpond] \(c)") }
        if lvl < .high { restoreReserve() }
        if pressure { onPressure?() }
        if retry { onRetryWrites?() }
        return lvl
    }

    /// Whether `bytes` more (times `Limits.mergeFreeSpaceFactor`) fit on the disk without
    /// passing the flood stage and the reserve: a merge asks before it starts.
    public func hasRoom(forBytes bytes: Int64) -> Bool {
        guard watermarks.enabled, let u = DiskUsage.of(dataPath) else { return true }
        let (need, o) = bytes.multipliedReportingOverflow(by: Limits.mergeFreeSpaceFactor)
        if o { return false }
        let after = u.using(need).using(hasReserve ? 0 : reserveBytes)
        return watermarks.level(after) < .floodStage
    }

    /// A check from the write path, at most once per `Limits.diskWriteCheckNanos`, on a
    /// background queue: it may write the reserve or run retention, which no request waits for.
    func checkIfDue() {
        let due: Bool = lock.withLock {
            guard Clock.elapsed(from: lastCheck) >= Limits.diskWriteCheckNanos else { return false }
            lastCheck = DispatchTime.now().uptimeNanoseconds   // one scheduled check at a time
            return true
        }
        if due { DispatchQueue.global(qos: .utility).async { self.check() } }
    }

    /// A write met a full disk: writes are blocked now (whatever the percentages say, the
    /// disk is full), and the reserve is given up so deletes and the catalog can still write.
    /// Returns whether giving it up freed space worth a retry.
    @discardableResult
    public func noteFull(_ path: String) -> Bool {
        let newly: Bool = lock.withLock {
            defer { blocked = true; writeFailing = true }
            return !blocked
        }
        if newly { log(.error, "[logpond] no space left on the device (writing \(path)); every index is read-only-allow-delete: writes get 429 until usage falls below the high watermark [\(watermarks.high)]. Delete old indices to free space") }
        return releaseReserve()
    }

    /// A flush succeeded: writes reach the disk again, so the block may lift at this check.
    func writesRecovered() {
        let was: Bool = lock.withLock { defer { writeFailing = false }; return writeFailing }
        if was { check() }
    }

    /// Deletes the reserve file; true when it was there.
    @discardableResult
    func releaseReserve() -> Bool {
        lock.withLock {
            guard reservePresent || FileManager.default.fileExists(atPath: reservePath) else { return false }
            unlink(reservePath)
            reservePresent = false
            return true
        }
    }

    /// Writes the reserve file when it is missing and the disk has room for it.
    func restoreReserve() {
        lock.withLock {
            guard !reservePresent, reserveBytes > 0 else { return }
            guard let u = DiskUsage.of(dataPath), u.available > reserveBytes * 2 else { return }
            let tmp = reservePath + ".tmp"
            let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { return }
            // Written, not fallocated: tmpfs and some overlay file systems skip fallocate's
            // promise, and the reserve exists to be real space.
            let chunk = [UInt8](repeating: 0, count: 64 * 1024)
            var left = reserveBytes
            var ok = true
            while left > 0 && ok {
                let n = Int(min(left, Int64(chunk.count)))
                do { try Translog.writeAll(fd, Array(chunk[0..<n]), path: tmp) } catch { ok = false }
                left -= Int64(n)
            }
            ok = ok && fsync(fd) == 0
            close(fd)
            if ok && rename(tmp, reservePath) == 0 { reservePresent = true; Translog.fsyncDir(dataPath) } else { unlink(tmp) }
        }
    }

    /// Periodic checks on a thread of their own until `stopped` says so.
    func start(stopped: @escaping @Sendable () -> Bool) {
        let t = Thread { [weak self] in
            OSThread.name("lp-disk")
            while let self, !stopped() {
                self.check()
                let until = DispatchTime.now().uptimeNanoseconds &+ UInt64(max(100, min(self.watermarks.checkIntervalMillis, 1 << 40))) * 1_000_000
                while DispatchTime.now().uptimeNanoseconds < until && !stopped() { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
        t.name = "logpond-disk"
        t.start()
    }
}
