import Foundation

/// A keyword column: per document, the ordinals of its terms in the field's dictionary, read in
/// place from its packed section (docs/format/segment.md "Ordinal column", version 6). Layout 1
/// (at most one value per document) packs ordinal + 1 per document; layout 2 packs each
/// document's start into the ordinals, then the ordinals.
public final class OrdinalColumn: @unchecked Sendable {
    private let owner: AnyObject
    private let single: Bool
    /// Layout 1: ordinal + 1 per document (0: none). Layout 2: docCount + 1 starts.
    private let first: PackedReader
    /// Layout 2: the ordinals.
    private let second: PackedReader
    public let docCount: Int
    /// Heap bytes held (older formats', derived fields' columns); 0 when read in place.
    var memoryCost: Int { (owner as? OwnedBytes)?.buffer.count ?? 0 }

    /// A version 6 section, read where it lies; every ordinal is checked against `terms` and
    /// every document's run against the ordinals, once, so reads need no checks.
    init(packed buf: UnsafeRawBufferPointer, owner: AnyObject, docCount: Int, terms: Int, label: String) throws {
        func corrupt() -> EngineError { .corruptFile(path: label, reason: "ordinal column is malformed") }
        var r = ByteReader(buf)
        do {
            let layout = try r.u8()
            guard layout == 1 || layout == 2 else { throw corrupt() }
            single = layout == 1
            if single {
                let bits = Int(try r.u8())
                guard PackedInts.validWidth(bits) else { throw corrupt() }
                let p = try r.raw(PackedInts.byteCount(count: docCount, bits: bits) + PackedInts.padding)
                first = PackedReader(base: p.baseAddress!, bits: bits)
                second = first
                for d in 0..<docCount where first.get(d) > UInt64(terms) { throw corrupt() }
            } else {
                let startBits = Int(try r.u8()), ordBits = Int(try r.u8())
                let total = try r.count()
                guard PackedInts.validWidth(startBits), PackedInts.validWidth(ordBits), total <= docCount * 64 else { throw corrupt() }
                let s = try r.raw(PackedInts.byteCount(count: docCount + 1, bits: startBits))
                let o = try r.raw(PackedInts.byteCount(count: total, bits: ordBits) + PackedInts.padding)
                // The starts' padding is the ordinals' bytes and padding that follow them.
                first = PackedReader(base: s.baseAddress ?? o.baseAddress!, bits: startBits)
                second = PackedReader(base: o.baseAddress!, bits: ordBits)
                guard first.get(0) == 0, first.get(docCount) == UInt64(total) else { throw corrupt() }
                for d in 0..<docCount {
                    let a = first.get(d), b = first.get(d + 1)
                    guard a <= b, b <= UInt64(total) else { throw corrupt() }
                    var last: UInt64? = nil
                    for k in Int(a)..<Int(b) {
                        let v = second.get(k)
                        guard v < UInt64(terms), last.map({ v > $0 }) ?? true else { throw corrupt() }
                        last = v
                    }
                }
            }
        } catch let e as EngineError { throw e } catch { throw corrupt() }
        self.owner = owner
        self.docCount = docCount
    }

    /// A version 1–5 section (a zstd frame of per-document varint counts and ordinals),
    /// decoded and packed in memory of its own.
    static func legacy(_ buf: UnsafeRawBufferPointer, docCount: Int, terms: Int, label: String) throws -> OrdinalColumn {
        var r = ByteReader(buf)
        var offs = [Int32](repeating: 0, count: docCount + 1), o: [Int32] = []
        do {
            let rawLen = try r.count()
            guard rawLen <= docCount * 64 * 5 + docCount * 5 else { throw ByteReader.Truncated() }
            let comp = try r.lengthPrefixed(limit: Int(Limits.maxSectionBytes))
            let raw = try Zstd.decompress(comp, expectedSize: rawLen)
            try raw.withUnsafeBytes { rb in
                var rr = ByteReader(rb)
                for d in 0..<docCount {
                    let n = try rr.count()
                    for _ in 0..<n { o.append(Int32(try rr.varint(below: min(terms, Int(Int32.max))))) }
                    guard o.count <= Int(Int32.max) else { throw ByteReader.Truncated() }
                    offs[d + 1] = Int32(o.count)
                }
            }
        } catch { throw EngineError.corruptFile(path: label, reason: "ordinal column is malformed") }
        return try inMemory(starts: offs, ords: o, terms: terms, label: label)
    }

    /// A column packed in memory of its own (older formats; a derived field's, from its key's).
    /// Older writers did not sort a document's ordinals: they are sorted here.
    static func inMemory(starts: [Int32], ords: [Int32], terms: Int, label: String) throws -> OrdinalColumn {
        var sorted = ords
        for d in 0..<(starts.count - 1) where starts[d + 1] - starts[d] > 1 { sorted[Int(starts[d])..<Int(starts[d + 1])].sort() }
        var w = ByteWriter()
        encode(starts: starts, ords: sorted, into: &w)
        let owned = OwnedBytes(w.bytes)
        return try OrdinalColumn(packed: owned.buffer, owner: owned, docCount: starts.count - 1, terms: terms, label: label)
    }

    /// Writes a version 6 section from CSR (`starts` has docCount + 1 entries, each document's
    /// ordinals ascending and distinct).
    static func encode(starts: [Int32], ords: [Int32], into w: inout ByteWriter) {
        let docCount = starts.count - 1
        let maxOrd = UInt64(ords.max() ?? 0)
        var singleValued = true
        for d in 0..<docCount where starts[d + 1] - starts[d] > 1 { singleValued = false; break }
        if singleValued {
            let bits = PackedInts.bits(forMax: ords.isEmpty ? 0 : maxOrd + 1)
            w.u8(1); w.u8(UInt8(bits))
            PackedInts.append(count: docCount, bits: bits, to: &w) { d in
                starts[d + 1] > starts[d] ? UInt64(ords[Int(starts[d])]) + 1 : 0
            }
        } else {
            let startBits = PackedInts.bits(forMax: UInt64(ords.count)), ordBits = PackedInts.bits(forMax: maxOrd)
            w.u8(2); w.u8(UInt8(startBits)); w.u8(UInt8(ordBits)); w.varint(UInt64(ords.count))
            PackedInts.append(count: docCount + 1, bits: startBits, to: &w) { UInt64(starts[$0]) }
            PackedInts.append(count: ords.count, bits: ordBits, to: &w) { UInt64(ords[$0]) }
        }
        PackedInts.appendPadding(to: &w)
    }

    /// Whether no document has more than one value (layout 1): `ordPlusOne` then reads one.
    public var isSingleValued: Bool { single }

    /// Layout 1 only: the document's ordinal + 1, 0 without a value (one read, no range).
    @inline(__always) public func ordPlusOne(_ doc: Int) -> Int { Int(truncatingIfNeeded: first.get(doc)) }

    /// Where the document's ordinals lie, for `ord(at:)`.
    @inline(__always) public func range(_ doc: Int) -> Range<Int> {
        if single { return first.get(doc) == 0 ? doc..<doc : doc..<(doc + 1) }
        return Int(first.get(doc))..<Int(first.get(doc + 1))
    }

    /// The ordinal at a position of `range(doc)`.
    @inline(__always) public func ord(at k: Int) -> Int32 {
        single ? Int32(truncatingIfNeeded: first.get(k) &- 1) : Int32(truncatingIfNeeded: second.get(k))
    }

    /// The document's ordinals, ascending.
    public func values(_ doc: Int) -> OrdinalValues { OrdinalValues(column: self, positions: range(doc)) }
}

/// One document's ordinals in an `OrdinalColumn`, read on access.
public struct OrdinalValues: RandomAccessCollection {
    let column: OrdinalColumn
    let positions: Range<Int>
    public var startIndex: Int { 0 }
    public var endIndex: Int { positions.count }
    public subscript(i: Int) -> Int32 { column.ord(at: positions.lowerBound + i) }
}
