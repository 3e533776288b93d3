import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of one segment: a read-only mapping of its file, or owned memory for segments
/// not yet flushed. Unmapped/freed when the last reader lets go.
final class SegmentData: @unchecked Sendable {
    let buffer: UnsafeRawBufferPointer
    private let mapped: Bool

    init(bytes: [UInt8]) {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { p.copyMemory(from: $0) }
        buffer = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<bytes.count])
        mapped = false
    }

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw EngineError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw EngineError.io(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(st.st_size)
        guard size > 0 else { throw EngineError.corruptFile(path: path, reason: "empty file") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw EngineError.io(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        buffer = UnsafeRawBufferPointer(start: p, count: size)
        mapped = true
    }

    /// Drops this process's resident pages of a mapped file (the page cache keeps them): opening
    /// a segment reads every byte for its checksum, and searches afterwards touch only the parts
    /// they need, so holding the whole file resident would only inflate RSS.
    func releaseResidentPages() {
        guard mapped, let base = buffer.baseAddress else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), buffer.count, MADV_DONTNEED)
    }

    /// Drops the resident pages of one part of a mapped file (a merge releases each stored
    /// block once it has read it: reading a whole input kept ~20 MB of it resident).
    func releaseResidentPages(_ range: Range<Int>) {
        guard mapped, let base = buffer.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), min(range.upperBound, buffer.count) - start, MADV_DONTNEED)
    }

    deinit {
        if mapped { munmap(UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count) }
        else { UnsafeMutableRawPointer(mutating: buffer.baseAddress)?.deallocate() }
    }
}
