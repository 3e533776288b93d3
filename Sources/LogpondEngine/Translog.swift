import CoreMetrics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The write-ahead log: operations are appended to generation files and fsynced before a
/// request is acknowledged. Concurrent appends share one fsync (group commit) on a dedicated
/// thread, so no event-loop thread ever blocks on the disk.
public final class Translog: @unchecked Sendable {
    public static let magic: UInt32 = 0x474C_544C // "LTLG"
    public static let version: UInt16 = 1
    public static let headerSize = 20

    /// A generation file's header: magic, version, reserved, generation, CRC-32 of the rest.
    public static func header(generation: Int64) -> [UInt8] {
        var h = ByteWriter()
        h.u32(magic); h.u16(version); h.u16(0); h.u64(UInt64(generation))
        h.u32(Checksum.crc32(h.bytes))
        return h.bytes
    }

    private enum Item {
        case append([UInt8], TranslogTicket)
        case roll(CheckedContinuation<Int64, Error>)
    }

    let dir: String
    private let cond = NSCondition()
    private var queue: [Item] = []
    private var stopped = false
    private var fd: Int32 = -1
    public private(set) var generation: Int64
    private var generationBytes: Int64 = 0
    private var thread: Thread?
    /// Total bytes appended since start (for stats).
    public private(set) var appendedBytes: Int64 = 0
    /// Bytes waiting in the queue (bounded by `Limits.translogQueueMaxBytes`).
    private var queuedBytes = 0
    /// Told when a write finds the disk full; true when it freed space (the reserve) so the
    /// write is worth one more try.
    let onDiskFull: (String) -> Bool

    /// Opens a fresh generation after `lastGeneration` (replay has already read the old ones).
    public init(dir: String, lastGeneration: Int64, onDiskFull: @escaping (String) -> Bool = { _ in false }) throws {
        self.dir = dir
        self.onDiskFull = onDiskFull
        generation = lastGeneration
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do { try openNext() } catch EngineError.diskFull(let p) where onDiskFull(p) { try openNext() }
        let t = Thread { [weak self] in self?.run() }
        t.name = "translog-writer"
        thread = t
        t.start()
    }

    private func openNext() throws {
        // The current generation stays open (and written to) until the next one is ready:
        // a roll that fails on a full disk leaves the translog as it was.
        if fd >= 0 { fsync(fd) }
        generation += 1
        let path = dir + "/" + FileNames.translog(generation: generation)
        let f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        guard f >= 0 else { let e = errno; generation -= 1; throw EngineError.io(path: path, errno: e) }
        let h = Self.header(generation: generation)
        do {
            try Self.writeAll(f, h, path: path)
            guard fsync(f) == 0 else { throw EngineError.io(path: path, errno: errno) }
        } catch {
            // A failed roll leaves neither a descriptor nor a headerless generation behind.
            Glibc.close(f)
            unlink(path)
            generation -= 1
            throw error
        }
        if fd >= 0 { Glibc.close(fd) }
        fd = f
        generationBytes = Int64(h.count)
        Self.fsyncDir(dir)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 { if errno == EINTR { continue }; throw EngineError.io(path: path, errno: errno) }
                off += n
            }
        }
    }

    static func fsyncDir(_ dir: String) {
        let d = open(dir, O_RDONLY)
        if d >= 0 { fsync(d); Glibc.close(d) }
    }

    /// Frames one record: length, checksum, payload.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: payload.count + 8)
        w.u32(UInt32(payload.count)); w.u32(Checksum.crc32(payload)); w.append(payload)
        return w.bytes
    }

    /// Encodes `op` as a framed record at the end of `w` (the header is patched in place, so
    /// the payload is written once).
    /// `logpond_translog_fsync_seconds` (write and fsync of one group commit) and
    /// `logpond_translog_bytes_total`.
    static let fsyncTimer = CoreMetrics.Timer(label: "logpond_translog_fsync_seconds")
    static let bytesCounter = Counter(label: "logpond_translog_bytes_total")

    public static func appendFramed(_ op: TranslogOp, to w: inout ByteWriter) {
        let start = w.count
        w.u32(0); w.u32(0)
        op.encode(into: &w)
        let len = w.count - start - 8
        let crc = w.bytes.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[(start + 8)...])) }
        withUnsafeBytes(of: UInt32(len).littleEndian) { for i in 0..<4 { w.bytes[start + i] = $0[i] } }
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { w.bytes[start + 4 + i] = $0[i] } }
    }

    /// Appends framed records and returns once they are on disk.
    public func append(_ framed: [UInt8]) async throws {
        try await enqueue(framed).wait()
    }

    /// Queues framed records for the writer thread and returns at once; the ticket's `wait()`
    /// returns once they are on disk. Throws when the translog is closed or its queue is full.
    public func enqueue(_ framed: [UInt8]) throws -> TranslogTicket {
        cond.lock()
        defer { cond.unlock() }
        if stopped { throw EngineError.io(path: dir, reason: "translog is closed") }
        if queuedBytes > 0 && queuedBytes + framed.count > Limits.translogQueueMaxBytes {
            throw EngineError.rejected("rejected execution of translog append [\(framed.count) bytes]: \(queuedBytes) bytes already wait for the disk, more than \(Limits.translogQueueMaxBytes); retry later")
        }
        let ticket = TranslogTicket()
        queuedBytes += framed.count
        queue.append(.append(framed, ticket))
        cond.signal()
        return ticket
    }

    /// Starts a new generation after everything queued so far; returns the new generation.
    public func roll() async throws -> Int64 {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Int64, Error>) in
            cond.lock()
            if stopped { cond.unlock(); c.resume(throwing: EngineError.io(path: dir, reason: "translog is closed")); return }
            queue.append(.roll(c))
            cond.signal()
            cond.unlock()
        }
    }

    /// Deletes generation files older than `generation`.
    public func trim(below generation: Int64) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        for n in names { if let g = FileNames.translogGeneration(of: n), g < generation { unlink(dir + "/" + n) } }
    }

    public func close() {
        cond.lock(); stopped = true; cond.signal(); cond.unlock()
    }

    private func run() {
        OSThread.name("lp-translog")
        while true {
            cond.lock()
            while queue.isEmpty && !stopped { cond.wait() }
            if queue.isEmpty && stopped { cond.unlock(); if fd >= 0 { fsync(fd); Glibc.close(fd) }; return }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            queuedBytes = 0
            cond.unlock()
            process(batch)
        }
    }

    private func process(_ batch: [Item]) {
        var pending: [TranslogTicket] = []
        // The queued parts; one part (the common case) is written as it is, several are
        // joined so they share one write and one sync.
        var parts: [[UInt8]] = []
        let path = dir + "/" + FileNames.translog(generation: generation)
        func sync() {
            guard !pending.isEmpty else { return }
            var buffer = parts.count == 1 ? parts[0] : []
            if parts.count > 1 {
                buffer.reserveCapacity(parts.reduce(0) { $0 + $1.count })
                for p in parts { buffer.append(contentsOf: p) }
            }
            do {
                let t0 = DispatchTime.now().uptimeNanoseconds
                do { try writeDurably(buffer, path: path) }
                catch EngineError.diskFull(let p) where onDiskFull(p) { try writeDurably(buffer, path: path) }
                Self.fsyncTimer.recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- t0))
                Self.bytesCounter.increment(by: Int64(buffer.count))
                generationBytes += Int64(buffer.count)
                appendedBytes += Int64(buffer.count)
                for t in pending { t.complete(.success(())) }
            } catch { for t in pending { t.complete(.failure(error)) } }
            pending.removeAll(); parts.removeAll(keepingCapacity: true)
        }
        for item in batch {
            switch item {
            case .append(let bytes, let t):
                parts.append(bytes); pending.append(t)
            case .roll(let c):
                sync()
                do {
                    do { try openNext() } catch EngineError.diskFull(let p) where onDiskFull(p) { try openNext() }
                    c.resume(returning: generation)
                } catch { c.resume(throwing: error) }
            }
        }
        sync()
        if generationBytes > Limits.translogGenerationBytes { try? openNext() }
    }

    /// Appends `buffer` to the current generation and syncs it. On failure the generation is
    /// cut back to its last whole record, so a full disk leaves no half-written record (replay
    /// would take a torn tail for a crash, but a later append after it would be lost).
    private func writeDurably(_ buffer: [UInt8], path: String) throws {
        do {
            try Self.writeAll(fd, buffer, path: path)
            guard fdatasync(fd) == 0 else { throw EngineError.io(path: path, errno: errno) }
        } catch {
            _ = ftruncate(fd, off_t(generationBytes))
            throw error
        }
    }
}
