import Foundation

/// A single-valued numeric doc-values column (longs, doubles as bit patterns, dates as millis).
public final class NumericColumn: @unchecked Sendable {
    public let values: [Int64]
    let present: [UInt8]
    public let floating: Bool
    public let presentCount: Int

    init(_ buf: UnsafeRawBufferPointer, docCount: Int, floating: Bool, label: String) throws {
        var r = ByteReader(buf)
        do {
            presentCount = try r.count()
            let rawLen = try r.count()
            let bitmapLen = (docCount + 7) / 8
            guard rawLen == bitmapLen + docCount * 8, presentCount <= docCount else { throw ByteReader.Truncated() }
            let comp = try r.lengthPrefixed(limit: Int(Limits.maxSectionBytes))
            let raw = try Zstd.decompress(comp, expectedSize: rawLen)
            present = Array(raw[0..<bitmapLen])
            var v = [Int64](repeating: 0, count: docCount)
            raw.withUnsafeBytes { rb in
                for i in 0..<docCount { v[i] = Int64(littleEndian: rb.loadUnaligned(fromByteOffset: bitmapLen + i * 8, as: Int64.self)) }
            }
            values = v
        } catch { throw EngineError.corruptFile(path: label, reason: "numeric column is malformed") }
        self.floating = floating
    }

    @inline(__always) public func has(_ doc: Int) -> Bool { present[doc >> 3] & (1 << UInt8(doc & 7)) != 0 }
    @inline(__always) public func double(_ doc: Int) -> Double { floating ? Double(bitPattern: UInt64(bitPattern: values[doc])) : Double(values[doc]) }
}

/// A multi-valued keyword column: per document, the ordinals of its terms in the dictionary.
public final class OrdinalColumn: @unchecked Sendable {
    public let offsets: [Int32]
    public let ords: [Int32]

    /// `terms`: the field's dictionary size; every ordinal read must index into it.
    init(_ buf: UnsafeRawBufferPointer, docCount: Int, terms: Int, label: String) throws {
        var r = ByteReader(buf)
        do {
            let rawLen = try r.count()
            guard rawLen <= docCount * 64 * 5 + docCount * 5 else { throw ByteReader.Truncated() }
            let comp = try r.lengthPrefixed(limit: Int(Limits.maxSectionBytes))
            let raw = try Zstd.decompress(comp, expectedSize: rawLen)
            var offs = [Int32](repeating: 0, count: docCount + 1), o: [Int32] = []
            try raw.withUnsafeBytes { rb in
                var rr = ByteReader(rb)
                for d in 0..<docCount {
                    let n = try rr.count()
                    for _ in 0..<n { o.append(Int32(try rr.varint(below: min(terms, Int(Int32.max))))) }
                    offs[d + 1] = Int32(o.count)
                }
            }
            offsets = offs; ords = o
        } catch { throw EngineError.corruptFile(path: label, reason: "ordinal column is malformed") }
    }

    /// A column built in memory (a derived field's, from its key's).
    init(offsets: [Int32], ords: [Int32]) { self.offsets = offsets; self.ords = ords }

    @inline(__always) public func values(_ doc: Int) -> ArraySlice<Int32> { ords[Int(offsets[doc])..<Int(offsets[doc + 1])] }
}
