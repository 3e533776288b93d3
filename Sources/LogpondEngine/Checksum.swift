import CSimdJSON
import CZlib

/// CRC-32 (zlib's polynomial) used by every on-disk structure: folded with PCLMULQDQ where
/// the CPU has it (`lp_crc32_fold`), zlib's table code for the rest.
public enum Checksum {
    public static func crc32(_ buf: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let p = buf.baseAddress, buf.count > 0 else { return seed }
        var crc = seed
        let bytes = p.assumingMemoryBound(to: UInt8.self)
        let folded = lp_crc32_fold(&crc, bytes, buf.count)
        return zlibCRC32(UnsafeRawBufferPointer(start: p + folded, count: buf.count - folded), seed: crc)
    }
    public static func crc32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, seed: seed) }
    }

    /// zlib's own CRC-32 (tests check the folded one against it).
    static func zlibCRC32(_ buf: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let p = buf.baseAddress, buf.count > 0 else { return seed }
        var crc = UInt(seed)
        var offset = 0
        // zlib takes a UInt32 length; feed huge buffers in chunks.
        while offset < buf.count {
            let n = min(buf.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, p.advanced(by: offset).assumingMemoryBound(to: UInt8.self), UInt32(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
