/// Lucene's SmallFloat int↔byte encoding of field lengths (`intToByte4`/`byte4ToInt`), so
/// BM25 length normalisation quantises exactly as Elasticsearch's does.
public enum Norms {
    static let maxInt4 = longToInt4(Int64(Int32.max))
    static let numFreeValues = 255 - Int(maxInt4)

    static func longToInt4(_ i: Int64) -> Int32 {
        let numBits = 64 - i.leadingZeroBitCount
        if numBits < 4 { return Int32(i) }
        let shift = numBits - 4
        var encoded = Int32(truncatingIfNeeded: i >> Int64(shift)) & 0x07
        encoded |= Int32(shift + 1) << 3
        return encoded
    }

    static func int4ToLong(_ i: Int32) -> Int64 {
        let bits = Int64(i & 0x07)
        let shift = Int(i >> 3) - 1
        if shift == -1 { return bits }
        return (bits | 0x08) << Int64(shift)
    }

    /// The byte Lucene stores for a field of `length` tokens.
    public static func encode(_ length: Int) -> UInt8 {
        let i = max(0, length)
        if i < numFreeValues { return UInt8(i) }
        return UInt8(numFreeValues + Int(longToInt4(Int64(i - numFreeValues))))
    }

    /// The length a stored byte stands for.
    public static func decode(_ b: UInt8) -> Int64 {
        let i = Int(b)
        if i < numFreeValues { return Int64(i) }
        return Int64(numFreeValues) + int4ToLong(Int32(i - numFreeValues))
    }

    /// decode() for all 256 bytes.
    public static let table: [Double] = (0..<256).map { Double(decode(UInt8($0))) }
}
