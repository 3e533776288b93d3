/// Fixed-width bit packing for columns read in place from a mapped segment (format 6,
/// docs/format/segment.md "Packed integers"): value i of width `bits` starts at bit i × bits,
/// little-endian, and every packed run is followed by `padding` zero bytes so that one
/// unaligned 8-byte load reads any value without a bounds branch.
enum PackedInts {
    /// Zero bytes after each packed run: an 8-byte load at a value's first byte stays inside.
    static let padding = 8
    /// Widths above this are stored as 64 (a value of 57–63 bits shifted by up to 7 would need
    /// a second load).
    static let maxNarrowBits = 56

    /// The width that holds every value up to `max`.
    static func bits(forMax max: UInt64) -> Int {
        let b = max == 0 ? 0 : 64 - max.leadingZeroBitCount
        return b > maxNarrowBits ? 64 : b
    }

    /// Whether a width read from disk is one a writer produces.
    static func validWidth(_ bits: Int) -> Bool { (0...maxNarrowBits).contains(bits) || bits == 64 }

    /// Bytes of `count` packed values, without the padding.
    static func byteCount(count: Int, bits: Int) -> Int { (count * bits + 7) / 8 }

    /// Appends `count` values (from `value(i)`, each below 2^bits) packed, without padding.
    static func append(count: Int, bits: Int, to w: inout ByteWriter, value: (Int) -> UInt64) {
        guard bits > 0, count > 0 else { return }
        var acc: UInt64 = 0, used = 0
        for i in 0..<count {
            let v = value(i)
            acc |= v << UInt64(used)
            let taken = 64 - used
            if bits >= taken {
                w.u64(acc)
                acc = taken == 64 ? 0 : v >> UInt64(taken)
                used = bits - taken
            } else {
                used += bits
            }
        }
        // The partial last word: only its meaningful bytes.
        var rest = (used + 7) / 8
        while rest > 0 { w.u8(UInt8(truncatingIfNeeded: acc)); acc >>= 8; rest -= 1 }
    }

    static func appendPadding(to w: inout ByteWriter) { for _ in 0..<padding { w.u8(0) } }
}

/// Reads values packed by `PackedInts.append` in place. The caller has checked that
/// `byteCount(count, bits) + padding` bytes lie at `base`.
struct PackedReader {
    let base: UnsafeRawPointer
    let bits: Int
    let mask: UInt64

    init(base: UnsafeRawPointer, bits: Int) {
        self.base = base
        self.bits = bits
        mask = bits >= 64 ? .max : (1 << UInt64(bits)) &- 1
    }

    @inline(__always) func get(_ i: Int) -> UInt64 {
        let bit = i &* bits
        let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: bit >> 3, as: UInt64.self))
        return (word >> UInt64(bit & 7)) & mask
    }
}
