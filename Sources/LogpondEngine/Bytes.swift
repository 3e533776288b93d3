import Foundation

/// Appends little-endian integers and varints to a growable byte array.
public struct ByteWriter {
    public var bytes: [UInt8]
    public init(capacity: Int = 0) { bytes = []; bytes.reserveCapacity(capacity) }
    public var count: Int { bytes.count }

    @inline(__always) public mutating func u8(_ v: UInt8) { bytes.append(v) }
    @inline(__always) public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    @inline(__always) public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    @inline(__always) public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    @inline(__always) public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    @inline(__always) public mutating func f64(_ v: Double) { u64(v.bitPattern) }
    @inline(__always) public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    /// Zig-zag varint for signed deltas.
    @inline(__always) public mutating func svarint(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    public mutating func bytesWithLength(_ b: some Collection<UInt8>) { varint(UInt64(b.count)); bytes.append(contentsOf: b) }
    public mutating func string(_ s: String) { bytesWithLength(Array(s.utf8)) }
    public mutating func append(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }
}

/// Reads what ByteWriter wrote from a raw buffer, checking every length against the buffer so
/// corrupt input becomes a thrown error, never a crash.
public struct ByteReader {
    public let base: UnsafeRawBufferPointer
    public var pos: Int
    public init(_ base: UnsafeRawBufferPointer, at pos: Int = 0) { self.base = base; self.pos = pos }
    public var remaining: Int { base.count - pos }
    public var atEnd: Bool { pos >= base.count }

    public struct Truncated: Error {}

    @inline(__always) mutating func need(_ n: Int) throws { if n < 0 || pos + n > base.count { throw Truncated() } }
    @inline(__always) public mutating func u8() throws -> UInt8 { try need(1); defer { pos += 1 }; return base[pos] }
    @inline(__always) public mutating func u16() throws -> UInt16 {
        try need(2); defer { pos += 2 }; return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: pos, as: UInt16.self))
    }
    @inline(__always) public mutating func u32() throws -> UInt32 {
        try need(4); defer { pos += 4 }; return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: pos, as: UInt32.self))
    }
    @inline(__always) public mutating func u64() throws -> UInt64 {
        try need(8); defer { pos += 8 }; return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: pos, as: UInt64.self))
    }
    @inline(__always) public mutating func i64() throws -> Int64 { Int64(bitPattern: try u64()) }
    @inline(__always) public mutating func f64() throws -> Double { Double(bitPattern: try u64()) }
    @inline(__always) public mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            try need(1)
            let b = base[pos]; pos += 1
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw Truncated() }
        }
    }
    @inline(__always) public mutating func svarint() throws -> Int64 {
        let u = try varint(); return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }
    /// A u64 file offset or length; beyond `Limits.maxSectionBytes` it is corruption (and could
    /// not be an Int).
    @inline(__always) public mutating func offset() throws -> Int {
        let v = try u64(); guard v <= UInt64(Limits.maxSectionBytes) else { throw Truncated() }; return Int(v)
    }
    /// A varint that must be below `limit` (a doc id, an ordinal, a delta): a larger value is
    /// damage, and converting it unchecked would trap.
    @inline(__always) public mutating func varint(below limit: Int) throws -> Int {
        let v = try varint()
        guard v < UInt64(max(limit, 0)) else { throw Truncated() }
        return Int(v)
    }
    /// A varint count or length, bounded like `offset()`.
    @inline(__always) public mutating func count() throws -> Int {
        let v = try varint(); guard v <= UInt64(Limits.maxSectionBytes) else { throw Truncated() }; return Int(v)
    }
    /// A length-prefixed byte run, checked against `limit`.
    public mutating func lengthPrefixed(limit: Int) throws -> UnsafeRawBufferPointer {
        let n = try varint()
        guard n <= UInt64(limit) else { throw Truncated() }
        return try raw(Int(n))
    }
    public mutating func raw(_ n: Int) throws -> UnsafeRawBufferPointer {
        try need(n); defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: base[pos..<pos + n])
    }
    public mutating func string(limit: Int) throws -> String {
        String(decoding: try lengthPrefixed(limit: limit), as: UTF8.self)
    }
}

/// The first index in `lo..<hi` where `isAtOrAfter` holds, given it holds for a suffix of the
/// range (`hi` when it never does): the one binary search behind sorted lookups everywhere.
@inline(__always) public func partitionPoint(_ lo: Int, _ hi: Int, _ isAtOrAfter: (Int) -> Bool) -> Int {
    var a = lo, b = hi
    while a < b { let m = (a + b) >> 1; if isAtOrAfter(m) { b = m } else { a = m + 1 } }
    return a
}

extension ByteWriter {
    /// `value` as a varint into a raw buffer at `at` (`at` moves past it), for loops too hot for
    /// appending to a `ByteWriter`; the caller guarantees room for 5 bytes.
    @inline(__always) public static func varint(_ value: UInt32, into buf: UnsafeMutableBufferPointer<UInt8>, at: inout Int) {
        var v = value
        while v >= 0x80 { buf[at] = UInt8(truncatingIfNeeded: v) | 0x80; at += 1; v >>= 7 }
        buf[at] = UInt8(v); at += 1
    }
}

extension ByteReader {
    /// A varint at `at` of a raw buffer, for loops too hot for a `ByteReader` (`at` moves past
    /// it); nil when the buffer ends first or it runs over 64 bits.
    @inline(__always) public static func varint(_ buf: UnsafeRawBufferPointer, _ at: inout Int) -> UInt64? {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard at < buf.count, shift < 64 else { return nil }
            let byte = buf[at]; at += 1
            v |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return v }
            shift += 7
        }
    }
}
