import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A segment file written while it is encoded: the encoder hands over its bytes every
/// `Limits.segmentSpillBytes`, so a merge's output is never whole in memory (it was the
/// largest single buffer at the ingest peak). The checksum runs along; `publish` fsyncs and
/// renames the temporary file as `SegmentFiles.writeDurably` does.
final class SegmentSpill {
    let tmp: String
    let final: String
    let dir: String
    private var fd: Int32
    private(set) var written = 0
    private(set) var crc: UInt32 = 0
    /// The first write error; later writes are skipped and `publish` throws it.
    private var failure: EngineError?

    /// Bytes the encoder gathers before handing them over (tests make it small).
    let pieceBytes: Int

    init(dir: String, id: Int64, pieceBytes: Int = Limits.segmentSpillBytes) throws {
        self.pieceBytes = pieceBytes
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.dir = dir
        tmp = dir + "/" + FileNames.segmentTemp(id: id)
        final = dir + "/" + FileNames.segment(id: id)
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw EngineError.io(path: tmp, errno: errno) }
    }

    /// Appends `bytes`; `checksummed` says whether they count in the footer's checksum.
    func write(_ bytes: [UInt8], checksummed: Bool = true) {
        guard failure == nil, fd >= 0 else { return }
        if checksummed { crc = Checksum.crc32(bytes, seed: crc) }
        bytes.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .io(path: tmp, errno: errno)
                    return
                }
                off += n
            }
        }
        written += bytes.count
    }

    /// Makes the file durable under its final name; returns that path.
    func publish() throws -> String {
        defer { if fd >= 0 { Glibc.close(fd); fd = -1 } }
        if let f = failure { unlink(tmp); throw f }
        guard fsync(fd) == 0 else { let e = errno; unlink(tmp); throw EngineError.io(path: tmp, errno: e) }
        Glibc.close(fd); fd = -1
        guard rename(tmp, final) == 0 else { let e = errno; unlink(tmp); throw EngineError.io(path: final, errno: e) }
        Translog.fsyncDir(dir)
        return final
    }

    /// Gives the temporary file up (the merge failed or found nothing live).
    func discard() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
        unlink(tmp)
    }

    deinit { if fd >= 0 { Glibc.close(fd); unlink(tmp) } }
}
