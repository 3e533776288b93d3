import CZstd

/// Compresses many small inputs with one reusable context, optionally against a trained
/// dictionary (stored blocks of a segment share one; postings use none).
final class ZstdCompressor {
    private let cctx: OpaquePointer
    private let cdict: OpaquePointer?
    let level: Int32

    init(dictionary: [UInt8]? = nil, level: Int32 = Limits.zstdLevel) {
        cctx = ZSTD_createCCtx()
        self.level = level
        if let d = dictionary, !d.isEmpty {
            cdict = d.withUnsafeBytes { ZSTD_createCDict($0.baseAddress, $0.count, level) }
        } else { cdict = nil }
    }
    deinit { ZSTD_freeCCtx(cctx); if let c = cdict { ZSTD_freeCDict(c) } }

    func compress(_ src: UnsafeRawBufferPointer) -> [UInt8] {
        let bound = ZSTD_compressBound(src.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { dst -> Int in
            if let c = cdict { return ZSTD_compress_usingCDict(cctx, dst.baseAddress, bound, src.baseAddress, src.count, c) }
            return ZSTD_compressCCtx(cctx, dst.baseAddress, bound, src.baseAddress, src.count, level)
        }
        precondition(ZSTD_isError(n) == 0, "zstd compress cannot fail with a bound-sized buffer")
        out.removeSubrange(n...)
        return out
    }
    func compress(_ src: [UInt8]) -> [UInt8] { src.withUnsafeBytes { compress($0) } }
}

/// A segment's stored-block dictionary prepared for decompression (created once per segment).
final class ZstdDecompressor: @unchecked Sendable {
    private let ddict: OpaquePointer

    init(dictionary: UnsafeRawBufferPointer) throws {
        guard let d = ZSTD_createDDict(dictionary.baseAddress, dictionary.count) else {
            throw Zstd.Failure(description: "not a zstd dictionary")
        }
        ddict = d
    }
    deinit { ZSTD_freeDDict(ddict) }

    func decompress(_ src: UnsafeRawBufferPointer, expectedSize: Int) throws -> [UInt8] {
        guard let dctx = ZSTD_createDCtx() else { throw Zstd.Failure(description: "out of memory") }
        defer { ZSTD_freeDCtx(dctx) }
        return try Zstd.decompress(expectedSize: expectedSize) {
            ZSTD_decompress_usingDDict(dctx, $0.baseAddress, expectedSize, src.baseAddress, src.count, ddict)
        }
    }
}

extension Zstd {
    /// Trains a dictionary of at most `capacity` bytes from samples laid back to back; nil when
    /// zstd finds too little in common (tiny or random inputs), in which case blocks go without.
    static func trainDictionary(samples: [UInt8], sizes: [Int], capacity: Int) -> [UInt8]? {
        guard sizes.count >= 8 else { return nil }
        var dict = [UInt8](repeating: 0, count: capacity)
        let n = dict.withUnsafeMutableBytes { d in
            samples.withUnsafeBytes { s in
                sizes.withUnsafeBufferPointer { z in
                    // Fixed fastCover parameters instead of zstd's default search over several:
                    // measured on log sources, half the training time and a better dictionary.
                    var p = ZDICT_fastCover_params_t()
                    p.k = 1024; p.d = 8; p.f = 20; p.accel = 2
                    p.zParams.compressionLevel = Limits.zstdLevel
                    return ZDICT_trainFromBuffer_fastCover(d.baseAddress, capacity, s.baseAddress, z.baseAddress, UInt32(z.count), p)
                }
            }
        }
        if ZDICT_isError(n) != 0 || n == 0 { return nil }
        dict.removeSubrange(n...)
        return dict
    }
}
