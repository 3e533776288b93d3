import Foundation

/// Memory a column owns when it is not read from a mapped file (older formats, derived fields).
final class OwnedBytes: @unchecked Sendable {
    let buffer: UnsafeRawBufferPointer
    init(_ bytes: [UInt8]) {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { p.copyMemory(from: $0) }
        buffer = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<bytes.count])
    }
    deinit { UnsafeMutableRawPointer(mutating: buffer.baseAddress)?.deallocate() }
}

/// A single-valued numeric doc-values column (longs, doubles as bit patterns, dates as millis),
/// read in place from its packed section (docs/format/segment.md "Numeric column", version 6):
/// blocks of 1,024 documents, each its minimum and a bit width.
public final class NumericColumn: @unchecked Sendable {
    /// Keeps the bytes below alive (the segment's mapping, or memory of our own).
    private let owner: AnyObject
    private let bitmap: UnsafePointer<UInt8>?
    private let table: UnsafeRawPointer
    private let data: UnsafeRawPointer
    public let docCount: Int
    public let floating: Bool
    public let presentCount: Int
    /// Heap bytes held (older formats' columns packed in memory); 0 when read in place.
    var memoryCost: Int { (owner as? OwnedBytes)?.buffer.count ?? 0 }

    static let blockShift = 10
    /// i64 minimum, u8 width, u64 offset (a column of a billion documents passes 4 GB).
    static let blockHeaderBytes = 17

    /// A version 6 section, read where it lies; every block is checked to lie inside it.
    init(packed buf: UnsafeRawBufferPointer, owner: AnyObject, docCount: Int, floating: Bool, label: String) throws {
        func corrupt() -> EngineError { .corruptFile(path: label, reason: "numeric column is malformed") }
        var r = ByteReader(buf)
        do {
            guard try r.u8() == 1 else { throw corrupt() }
            presentCount = try r.count()
            let hasBitmap = try r.u8()
            guard presentCount <= docCount, hasBitmap <= 1, hasBitmap == 1 || presentCount == docCount else { throw corrupt() }
            bitmap = hasBitmap == 1 ? try r.raw((docCount + 7) / 8).baseAddress!.assumingMemoryBound(to: UInt8.self) : nil
            let blocks = (docCount + (1 << Self.blockShift) - 1) >> Self.blockShift
            let t = try r.raw(blocks * Self.blockHeaderBytes)
            let rest = buf.count - r.pos
            for b in 0..<blocks {
                let bits = Int(t.load(fromByteOffset: b * Self.blockHeaderBytes + 8, as: UInt8.self))
                let off = UInt64(littleEndian: t.loadUnaligned(fromByteOffset: b * Self.blockHeaderBytes + 9, as: UInt64.self))
                let n = min(1 << Self.blockShift, docCount - (b << Self.blockShift))
                guard PackedInts.validWidth(bits), off <= UInt64(rest), Int(off) + PackedInts.byteCount(count: n, bits: bits) + PackedInts.padding <= rest else { throw corrupt() }
            }
            table = t.baseAddress ?? buf.baseAddress!
            data = buf.baseAddress! + r.pos
        } catch let e as EngineError { throw e } catch { throw corrupt() }
        self.owner = owner
        self.docCount = docCount
        self.floating = floating
    }

    /// A version 1–5 section (a zstd frame of a bitmap and one i64 per document), decoded and
    /// packed in memory of its own.
    static func legacy(_ buf: UnsafeRawBufferPointer, docCount: Int, floating: Bool, label: String) throws -> NumericColumn {
        var r = ByteReader(buf)
        let bitmap: [UInt8], values: [Int64], present: Int
        do {
            present = try r.count()
            let rawLen = try r.count()
            let bitmapLen = (docCount + 7) / 8
            guard rawLen == bitmapLen + docCount * 8, present <= docCount else { throw ByteReader.Truncated() }
            let comp = try r.lengthPrefixed(limit: Int(Limits.maxSectionBytes))
            let raw = try Zstd.decompress(comp, expectedSize: rawLen)
            bitmap = Array(raw[0..<bitmapLen])
            var v = [Int64](repeating: 0, count: docCount)
            raw.withUnsafeBytes { rb in
                for i in 0..<docCount { v[i] = Int64(littleEndian: rb.loadUnaligned(fromByteOffset: bitmapLen + i * 8, as: Int64.self)) }
            }
            values = v
        } catch { throw EngineError.corruptFile(path: label, reason: "numeric column is malformed") }
        // The bitmap's count, not the stored one: older writers' counts are not relied upon.
        var w = ByteWriter()
        encode(values: values, bitmap: bitmap, present: bitmap.reduce(0) { $0 + $1.nonzeroBitCount }, into: &w)
        let owned = OwnedBytes(w.bytes)
        return try NumericColumn(packed: owned.buffer, owner: owned, docCount: docCount, floating: floating, label: label)
    }

    /// Writes a version 6 section: `values[d]` counts only where bit d of `bitmap` is set.
    static func encode(values: [Int64], bitmap: [UInt8], present: Int, into w: inout ByteWriter) {
        let n = values.count
        func has(_ d: Int) -> Bool { bitmap[d >> 3] & (1 << UInt8(d & 7)) != 0 }
        w.u8(1)
        w.varint(UInt64(present))
        if present == n { w.u8(0) } else { w.u8(1); w.append(bitmap) }
        let size = 1 << blockShift
        var data = ByteWriter()
        for start in stride(from: 0, to: n, by: size) {
            let end = min(n, start + size)
            var lo = Int64.max, hi = Int64.min
            for d in start..<end where has(d) { lo = min(lo, values[d]); hi = max(hi, values[d]) }
            if lo > hi { lo = 0; hi = 0 }
            let bits = PackedInts.bits(forMax: UInt64(bitPattern: hi &- lo))
            w.i64(lo); w.u8(UInt8(bits)); w.u64(UInt64(data.count))
            // Documents without a value take the block's minimum: they never widen it.
            PackedInts.append(count: end - start, bits: bits, to: &data) { i in
                has(start + i) ? UInt64(bitPattern: values[start + i] &- lo) : 0
            }
        }
        PackedInts.appendPadding(to: &data)
        w.append(data.bytes)
    }

    @inline(__always) public func has(_ doc: Int) -> Bool {
        guard let b = bitmap else { return true }
        return b[doc >> 3] & (1 << UInt8(doc & 7)) != 0
    }

    /// The document's value (0-based within its block's range when it has none: check `has`).
    @inline(__always) public func value(_ doc: Int) -> Int64 {
        let h = table + (doc >> Self.blockShift) &* Self.blockHeaderBytes
        let lo = Int64(littleEndian: h.loadUnaligned(as: Int64.self))
        let bits = Int(h.load(fromByteOffset: 8, as: UInt8.self))
        let off = Int(truncatingIfNeeded: UInt64(littleEndian: h.loadUnaligned(fromByteOffset: 9, as: UInt64.self)))
        return lo &+ Int64(bitPattern: PackedReader(base: data + off, bits: bits).get(doc & ((1 << Self.blockShift) - 1)))
    }

    @inline(__always) public func double(_ doc: Int) -> Double { floating ? Double(bitPattern: UInt64(bitPattern: value(doc))) : Double(value(doc)) }
}
