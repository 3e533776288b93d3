import CZstd

/// zstd compression of blocks and columns (system libzstd).
public enum Zstd {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func compress(_ src: UnsafeRawBufferPointer, level: Int32 = Limits.zstdLevel) -> [UInt8] {
        let bound = ZSTD_compressBound(src.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { dst in
            ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level)
        }
        precondition(ZSTD_isError(n) == 0, "zstd compress cannot fail with a bound-sized buffer")
        out.removeSubrange(n...)
        return out
    }
    public static func compress(_ src: [UInt8], level: Int32 = Limits.zstdLevel) -> [UInt8] {
        src.withUnsafeBytes { compress($0, level: level) }
    }

    /// Decompresses a frame whose decompressed size must equal `expectedSize` exactly.
    public static func decompress(_ src: UnsafeRawBufferPointer, expectedSize: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expectedSize)
        let n = out.withUnsafeMutableBytes { dst in
            ZSTD_decompress(dst.baseAddress, expectedSize, src.baseAddress, src.count)
        }
        if ZSTD_isError(n) != 0 {
            throw Failure(description: String(cString: ZSTD_getErrorName(n)))
        }
        guard n == expectedSize else { throw Failure(description: "decompressed \(n) bytes, expected \(expectedSize)") }
        return out
    }
}
