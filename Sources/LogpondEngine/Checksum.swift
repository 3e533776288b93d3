import CZlib

/// CRC-32 (zlib's, hardware-assisted where zlib has it) used by every on-disk structure.
public enum Checksum {
    public static func crc32(_ buf: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
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
    public static func crc32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, seed: seed) }
    }
}
