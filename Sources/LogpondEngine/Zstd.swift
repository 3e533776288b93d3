import CZstd

/// zstd compression of blocks and columns (system libzstd).
public enum Zstd {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func compress(_ src: UnsafeRawBufferPointer, level: Int32 = Limits.zstdLevel) -> [UInt8] {
        ZstdCompressor(level: level).compress(src)
    }
    public static func compress(_ src: [UInt8], level: Int32 = Limits.zstdLevel) -> [UInt8] {
        src.withUnsafeBytes { compress($0, level: level) }
    }

    /// Decompresses a frame whose decompressed size must equal `expectedSize` exactly.
    public static func decompress(_ src: UnsafeRawBufferPointer, expectedSize: Int) throws -> [UInt8] {
        try decompress(expectedSize: expectedSize) { ZSTD_decompress($0.baseAddress, expectedSize, src.baseAddress, src.count) }
    }

    /// Runs a zstd decompression call into a buffer of `expectedSize` and checks its result.
    static func decompress(expectedSize: Int, _ call: (UnsafeMutableRawBufferPointer) -> Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expectedSize)
        let n = out.withUnsafeMutableBytes(call)
        if ZSTD_isError(n) != 0 {
            throw Failure(description: String(cString: ZSTD_getErrorName(n)))
        }
        guard n == expectedSize else { throw Failure(description: "decompressed \(n) bytes, expected \(expectedSize)") }
        return out
    }
}
