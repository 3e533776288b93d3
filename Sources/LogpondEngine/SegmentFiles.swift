import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Durable segment file writes: temp name, fsync, rename, fsync of the folder, so a crash
/// never leaves a half-written file under a published name.
enum SegmentFiles {
    static func writeDurably(_ buffer: UnsafeRawBufferPointer, dir: String, id: Int64) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tmp = dir + "/" + FileNames.segmentTemp(id: id)
        let final = dir + "/" + FileNames.segment(id: id)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw EngineError.io(path: tmp, errno: errno) }
        var off = 0
        while off < buffer.count {
            let n = write(fd, buffer.baseAddress! + off, buffer.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                Glibc.close(fd); unlink(tmp)
                throw EngineError.io(path: tmp, errno: e)
            }
            off += n
        }
        guard fsync(fd) == 0 else { let e = errno; Glibc.close(fd); unlink(tmp); throw EngineError.io(path: tmp, errno: e) }
        Glibc.close(fd)
        guard rename(tmp, final) == 0 else { let e = errno; unlink(tmp); throw EngineError.io(path: final, errno: e) }
        Translog.fsyncDir(dir)
        return final
    }
}
