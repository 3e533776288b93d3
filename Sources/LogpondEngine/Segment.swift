import Foundation

/// One immutable segment, opened for reading (docs/format/segment.md). Thread-safe: decoded
/// structures are cached under a lock; deletions are replaced copy-on-write.
public final class Segment: @unchecked Sendable {
    struct FieldInfo {
        var storage: FieldType.Storage
        var flags: UInt8
        var dictOffset = 0, dictLength = 0, postOffset = 0, postLength = 0, termCount = 0
        var numOffset = 0, numLength = 0, ordOffset = 0, ordLength = 0
        var normOffset = 0, normLength = 0
        var sumTotalTermFreq: Int64 = 0
        var docsWithField = 0
    }
    struct BlockInfo { var firstDoc: Int; var docCount: Int; var offset: Int; var compLength: Int; var rawLength: Int }

    public let id: Int64
    /// File path when flushed; nil while the segment lives only in memory.
    public private(set) var path: String?
    let data: SegmentData
    public let docCount: Int
    /// The file's format version (1 to 6).
    public let formatVersion: UInt16
    public let minTimestamp: Int64
    public let maxTimestamp: Int64
    let fields: [String: FieldInfo]
    let blocks: [BlockInfo]
    let storedOffset: Int
    /// The stored blocks' zstd dictionary (empty: blocks are plain frames).
    let storedDictRange: Range<Int>
    var storedDecompressor: ZstdDecompressor?
    /// The source value table (version 5; empty: none), decoded on the first fetch.
    let valueTableRange: Range<Int>
    var valueTable: SourceValues.Table?
    /// This segment's key in the process-wide cache of decoded stored blocks.
    let cacheKey = StoredBlockCache.newKey()

    let lock = NSLock()
    private var dicts: [String: TermDictionary] = [:]
    private var numerics: [String: NumericColumn] = [:]
    private var ordinalCols: [String: OrdinalColumn] = [:]
    private var normCols: [String: [UInt8]] = [:]
    private var _deletes: Bitset?
    private var _obsolete = false
    /// Heap bytes of the decoded structures held (counted in `DecodedBytes`).
    private var decodedCost = 0

    public var byteSize: Int { data.buffer.count }

    /// How many decoded structures this segment holds (call with `lock` held).
    private var heldDecoded: Int { dicts.count + numerics.count + ordinalCols.count + normCols.count + (valueTable == nil ? 0 : 1) }

    /// How many decoded structures this segment holds (tests).
    var decodedCount: Int { lock.withLock { heldDecoded } }

    /// Drops what searches decoded from this segment (term dictionaries, columns, norms, the
    /// value table); the next search decodes again what it needs. A search holding one keeps
    /// its own reference. Returns how many were dropped.
    @discardableResult
    func forgetDecoded() -> Int {
        lock.withLock {
            let n = heldDecoded
            dicts = [:]; numerics = [:]; ordinalCols = [:]; normCols = [:]; valueTable = nil
            DecodedBytes.add(-decodedCost)
            decodedCost = 0
            return n
        }
    }

    /// Heap bytes of the decoded structures held now.
    var decodedBytes: Int { lock.withLock { decodedCost } }

    /// Caches a decoded structure unless a concurrent search cached one first (that one is
    /// returned and this one dropped), counting its heap bytes once.
    private func remember<T>(_ path: ReferenceWritableKeyPath<Segment, [String: T]>, _ field: String, _ value: T, cost: Int) -> T {
        lock.withLock {
            if let held = self[keyPath: path][field] { return held }
            self[keyPath: path][field] = value
            decodedCost += cost
            DecodedBytes.add(cost)
            return value
        }
    }

    /// The value table, cached as `remember` does.
    func rememberValueTable(_ t: SourceValues.Table) -> SourceValues.Table {
        lock.withLock {
            if let held = valueTable { return held }
            valueTable = t
            decodedCost += t.memoryCost
            DecodedBytes.add(t.memoryCost)
            return t
        }
    }
    public var fieldNames: [String] { Array(fields.keys) }

    /// Opens segment bytes; throws `corruptFile` naming `label` when anything does not check out.
    /// `verify: false` skips the checksum pass for bytes this process just produced (a write
    /// buffer's segment, a flushed or merged file): it had just computed the same checksum.
    init(id: Int64, data: SegmentData, label: String, path: String?, verify: Bool = true) throws {
        self.id = id
        self.data = data
        self.path = path
        let buf = data.buffer
        func corrupt(_ why: String) -> EngineError { .corruptFile(path: label, reason: why) }
        guard buf.count >= SegmentFormat.headerSize + SegmentFormat.footerSize else { throw corrupt("file too short") }
        var f = ByteReader(buf, at: buf.count - SegmentFormat.footerSize)
        let dirOff: Int, dirLen: Int, crc: UInt32, version: UInt16, reserved: UInt16, magic: UInt32
        do {
            dirOff = try f.offset(); dirLen = try f.offset()
            crc = try f.u32(); version = try f.u16(); reserved = try f.u16(); magic = try f.u32()
        } catch { throw corrupt("bad footer") }
        guard magic == SegmentFormat.magic else { throw corrupt("bad magic number") }
        guard reserved == 0 else { throw corrupt("bad footer") }
        guard SegmentFormat.readable.contains(version) else { throw corrupt("unsupported format version \(version); this logpond reads versions \(SegmentFormat.readable)") }
        formatVersion = version
        if verify {
            let actual = Checksum.crc32(UnsafeRawBufferPointer(rebasing: buf[0..<(buf.count - 12)]))
            guard actual == crc else { throw corrupt("checksum mismatch") }
        }
        var h = ByteReader(buf)
        guard try h.u32() == SegmentFormat.magic, try h.u16() == version else { throw corrupt("bad header") }
        guard dirOff >= SegmentFormat.headerSize, dirLen >= 0, dirOff + dirLen <= buf.count - SegmentFormat.footerSize else { throw corrupt("bad directory offset") }
        do {
            var d = ByteReader(UnsafeRawBufferPointer(rebasing: buf[0..<(dirOff + dirLen)]), at: dirOff)
            let dc = try d.count()
            guard dc > 0, dc <= Limits.maxSegmentDocs else { throw corrupt("doc count \(dc) out of range") }
            docCount = dc
            minTimestamp = try d.i64(); maxTimestamp = try d.i64()
            let sOff = try d.offset(), sLen = try d.offset(), iOff = try d.offset(), iLen = try d.offset()
            guard sOff + sLen <= dirOff, iOff + iLen <= dirOff else { throw corrupt("stored section out of bounds") }
            storedOffset = sOff
            if version >= SegmentFormat.firstPackedVersion {
                let dOff = try d.offset(), dLen = try d.offset()
                guard dOff + dLen <= dirOff, dLen <= Limits.storedDictionaryBytes else { throw corrupt("stored dictionary out of bounds") }
                storedDictRange = dOff..<(dOff + dLen)
            } else { storedDictRange = 0..<0 }
            if version >= SegmentFormat.firstValueTableVersion {
                let vOff = try d.offset(), vLen = try d.offset()
                guard vOff + vLen <= dirOff else { throw corrupt("source value table out of bounds") }
                valueTableRange = vOff..<(vOff + vLen)
            } else { valueTableRange = 0..<0 }
            var bi = ByteReader(UnsafeRawBufferPointer(rebasing: buf[0..<(iOff + iLen)]), at: iOff)
            let nb = try bi.count()
            guard nb <= dc else { throw corrupt("block count out of range") }
            var bl: [BlockInfo] = []
            bl.reserveCapacity(nb)
            for _ in 0..<nb {
                let b = BlockInfo(firstDoc: try bi.count(), docCount: try bi.count(), offset: try bi.offset(),
                                  compLength: try bi.count(), rawLength: try bi.count())
                guard b.offset + b.compLength <= sLen, b.rawLength <= 64 * Limits.storedBlockBytes + Limits.maxDocumentBytes,
                      b.firstDoc + b.docCount <= dc else { throw corrupt("stored block out of bounds") }
                // Blocks tile the documents in order: a document lookup relies on it.
                guard b.firstDoc == (bl.last.map { $0.firstDoc + $0.docCount } ?? 0), b.docCount > 0 else { throw corrupt("stored blocks do not tile the documents") }
                bl.append(b)
            }
            guard (bl.last.map { $0.firstDoc + $0.docCount } ?? 0) == dc else { throw corrupt("stored blocks do not cover every document") }
            blocks = bl
            let nf = try d.count()
            guard nf <= Limits.maxFieldsPerSegment else { throw corrupt("field count out of range") }
            var fs: [String: FieldInfo] = [:]
            for _ in 0..<nf {
                let name = try d.string(limit: 64 * 1024)
                guard let st = FieldType.Storage(rawValue: try d.u8()) else { throw corrupt("unknown field storage") }
                var fi = FieldInfo(storage: st, flags: try d.u8())
                if fi.flags & SegmentFormat.flagPostings != 0 {
                    fi.dictOffset = try d.offset(); fi.dictLength = try d.offset()
                    fi.postOffset = try d.offset(); fi.postLength = try d.offset(); fi.termCount = try d.count()
                    guard fi.dictOffset + fi.dictLength <= dirOff, fi.postOffset + fi.postLength <= dirOff else { throw corrupt("postings out of bounds") }
                }
                if fi.flags & SegmentFormat.flagNumeric != 0 {
                    fi.numOffset = try d.offset(); fi.numLength = try d.offset()
                    guard fi.numOffset + fi.numLength <= dirOff else { throw corrupt("column out of bounds") }
                }
                if fi.flags & SegmentFormat.flagOrdinals != 0 {
                    fi.ordOffset = try d.offset(); fi.ordLength = try d.offset()
                    guard fi.ordOffset + fi.ordLength <= dirOff else { throw corrupt("column out of bounds") }
                }
                if fi.flags & SegmentFormat.flagDerived != 0 {
                    let need = SegmentFormat.flagPostings | SegmentFormat.flagOrdinals
                    guard version >= SegmentFormat.firstValueTableVersion, st == .keyword, fi.flags & need == need,
                          fi.flags & SegmentFormat.flagPositions == 0 else { throw corrupt("derived field \(name) is not a plain keyword field") }
                }
                if fi.flags & SegmentFormat.flagNorms != 0 {
                    guard version >= 2 else { throw corrupt("norms in a version 1 segment") }
                    fi.normOffset = try d.offset(); fi.normLength = try d.offset(); fi.sumTotalTermFreq = Int64(truncatingIfNeeded: try d.varint())
                    guard fi.normOffset + fi.normLength <= dirOff else { throw corrupt("norms out of bounds") }
                }
                fi.docsWithField = try d.count()
                fs[name] = fi
            }
            fields = fs
        } catch let e as EngineError { throw e } catch { throw corrupt("truncated directory") }
    }

    /// Opens a segment file from disk.
    public static func open(id: Int64, path: String, verify: Bool = true) throws -> Segment {
        let seg = try Segment(id: id, data: try SegmentData(path: path), label: path, path: path, verify: verify)
        seg.data.releaseResidentPages()
        return seg
    }
    /// Wraps freshly written bytes (a refreshed, not yet flushed segment).
    public static func inMemory(id: Int64, bytes: [UInt8], verify: Bool = true) throws -> Segment {
        try Segment(id: id, data: SegmentData(bytes: bytes), label: "in-memory segment \(id)", path: nil, verify: verify)
    }

    func markFlushed(path: String) { lock.withLock { self.path = path } }

    /// The stored blocks' dictionary, copied out (nil when the blocks have none).
    var storedDictionaryBytes: [UInt8]? { storedDictRange.isEmpty ? nil : Array(slice(storedDictRange.lowerBound, storedDictRange.count)) }


    /// Forgets the decoded structures of one field (a merge reads each field once).
    func dropCaches(field: String) {
        lock.withLock {
            let cost = (dicts[field]?.memoryCost ?? 0) + (numerics[field]?.memoryCost ?? 0)
                + (ordinalCols[field]?.memoryCost ?? 0) + (normCols[field]?.count ?? 0)
            dicts[field] = nil; numerics[field] = nil; ordinalCols[field] = nil; normCols[field] = nil
            decodedCost -= cost
            DecodedBytes.add(-cost)
        }
    }

    /// Bytes per part of the file, largest first, each with its kind (`_source blocks`,
    /// `postings`, `term dictionaries`, …) for totals (`logpond inspect`).
    public var sectionSizes: [(name: String, kind: String, bytes: Int)] {
        var out: [(String, String, Int)] = [("_source (stored blocks)", "_source blocks", blocks.reduce(0) { $0 + $1.compLength })]
        if !storedDictRange.isEmpty { out.append(("_source dictionary", "_source dictionary", storedDictRange.count)) }
        if !valueTableRange.isEmpty { out.append(("_source value table", "_source value table", valueTableRange.count)) }
        for (name, f) in fields {
            if f.dictLength > 0 { out.append(("\(name) terms (\(f.termCount))", "term dictionaries", f.dictLength)) }
            if f.postLength > 0 { out.append(("\(name) postings", "postings", f.postLength)) }
            if f.numLength > 0 { out.append(("\(name) numeric column", "numeric columns", f.numLength)) }
            if f.ordLength > 0 {
                let derived = f.flags & SegmentFormat.flagDerived != 0
                out.append(derived ? ("\(name) derivation", "derivations", f.ordLength) : ("\(name) ordinal column", "ordinal columns", f.ordLength))
            }
            if f.normLength > 0 { out.append(("\(name) norms", "norms", f.normLength)) }
        }
        return out.sorted { $0.2 > $1.2 }
    }

    // MARK: deletions and lifetime

    /// Deleted docs, as of now (a value copy: a search keeps the set it started with).
    public var deletes: Bitset? { lock.withLock { _deletes } }
    public func setDeletes(_ b: Bitset?) { lock.withLock { _deletes = b } }
    public func delete(doc: Int) {
        lock.withLock {
            var b = _deletes ?? Bitset(count: docCount)
            b.insert(doc)
            _deletes = b
        }
    }
    public var liveCount: Int { docCount - (deletes?.cardinality ?? 0) }

    /// Marks the file for deletion once no search holds this segment any more.
    public func markObsolete() { lock.withLock { _obsolete = true } }

    deinit {
        StoredBlockCache.shared.drop(segment: cacheKey)
        DecodedBytes.add(-decodedCost)
        if _obsolete, let p = path { unlink(p) }
    }

    // MARK: fields

    public func hasField(_ name: String) -> Bool { fields[name] != nil }
    public func docsWithField(_ name: String) -> Int { fields[name]?.docsWithField ?? 0 }
    func fieldInfo(_ name: String) -> FieldInfo? { fields[name] }

    func slice(_ off: Int, _ len: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: data.buffer[off..<(off + len)]) }

    /// The term dictionary of a field, decoded once and cached.
    public func dictionary(_ field: String) throws -> TermDictionary? {
        guard let fi = fields[field], fi.flags & SegmentFormat.flagPostings != 0 else { return nil }
        if let d = lock.withLock({ dicts[field] }) { return d }
        if fi.flags & SegmentFormat.flagDerived != 0 {
            let d = try TermDictionary.derived(dict: slice(fi.dictOffset, fi.dictLength), owner: data, version: formatVersion, termCount: fi.termCount,
                                               ordOf: try derivedOrdinals(field, fi), label: path ?? "segment \(id)")
            return remember(\.dicts, field, d, cost: d.memoryCost)
        }
        let d = try TermDictionary.open(dict: slice(fi.dictOffset, fi.dictLength), owner: data, version: formatVersion, termCount: fi.termCount,
                                        postings: slice(fi.postOffset, fi.postLength),
                                        positions: fi.flags & SegmentFormat.flagPositions != 0, docCount: docCount,
                                        totalTokens: fi.sumTotalTermFreq, label: path ?? "segment \(id)")
        return remember(\.dicts, field, d, cost: d.memoryCost)
    }

    public func numericColumn(_ field: String) throws -> NumericColumn? {
        guard let fi = fields[field], fi.flags & SegmentFormat.flagNumeric != 0 else { return nil }
        if let c = lock.withLock({ numerics[field] }) { return c }
        let sec = slice(fi.numOffset, fi.numLength), floating = fi.storage == .floating, label = path ?? "segment \(id)"
        let c = formatVersion >= SegmentFormat.firstInPlaceColumnsVersion
            ? try NumericColumn(packed: sec, owner: data, docCount: docCount, floating: floating, label: label)
            : try NumericColumn.legacy(sec, docCount: docCount, floating: floating, label: label)
        return remember(\.numerics, field, c, cost: c.memoryCost)
    }

    public func ordinalColumn(_ field: String) throws -> OrdinalColumn? {
        guard let fi = fields[field], fi.flags & SegmentFormat.flagOrdinals != 0 else { return nil }
        if let c = lock.withLock({ ordinalCols[field] }) { return c }
        if fi.flags & SegmentFormat.flagDerived != 0 {
            let ordOf = try derivedOrdinals(field, fi)
            var offsets = [Int32](repeating: 0, count: docCount + 1), ords: [Int32] = []
            ords.reserveCapacity(docCount)
            for d in 0..<docCount {
                if ordOf[d] >= 0 { ords.append(ordOf[d]) }
                offsets[d + 1] = Int32(ords.count)
            }
            let c = try OrdinalColumn.inMemory(starts: offsets, ords: ords, terms: fi.termCount, label: path ?? "segment \(id)")
            return remember(\.ordinalCols, field, c, cost: c.memoryCost)
        }
        let sec = slice(fi.ordOffset, fi.ordLength), label = path ?? "segment \(id)"
        let c = formatVersion >= SegmentFormat.firstInPlaceColumnsVersion
            ? try OrdinalColumn(packed: sec, owner: data, docCount: docCount, terms: fi.termCount, label: label)
            : try OrdinalColumn.legacy(sec, docCount: docCount, terms: fi.termCount, label: label)
        return remember(\.ordinalCols, field, c, cost: c.memoryCost)
    }

    /// A text field's terms per document, uninverted from its postings (`fielddata: true`),
    /// once per segment and held like a decoded column: the search memory budget gives it back.
    public func fielddata(_ field: String) throws -> OrdinalColumn? {
        let key = field + "\u{1}fielddata"
        if let c = lock.withLock({ ordinalCols[key] }) { return c }
        guard let dict = try dictionary(field) else { return nil }
        // Counted in Int and checked before the Int32 columns are made: a segment whose field
        // holds more term occurrences than an Int32 counts is refused, not wrapped.
        var counts = [Int](repeating: 0, count: docCount + 1)
        var lists: [[Int32]] = []
        lists.reserveCapacity(dict.count)
        for o in 0..<dict.count {
            let docs = try dict.docs(o, cache: false)
            for d in docs where d >= 0 && Int(d) < docCount { counts[Int(d) + 1] += 1 }
            lists.append(docs)
        }
        for d in 0..<docCount { counts[d + 1] += counts[d] }
        guard counts[docCount] <= Int(Int32.max) else {
            throw EngineError.illegalArgument("fielddata of [\(EngineError.clip(field, max: 128))] needs \(counts[docCount]) entries in one segment; aggregate on a keyword field instead")
        }
        var fill = counts, ords = [Int32](repeating: 0, count: counts[docCount])
        for (o, docs) in lists.enumerated() {
            for d in docs where d >= 0 && Int(d) < docCount { ords[fill[Int(d)]] = Int32(o); fill[Int(d)] += 1 }
        }
        let c = try OrdinalColumn.inMemory(starts: counts.map { Int32($0) }, ords: ords, terms: dict.count, label: path ?? "segment \(id)")
        return remember(\.ordinalCols, key, c, cost: c.memoryCost)
    }

    /// A derived field's ordinal per document (-1: none), through its key's ordinal column and
    /// the stored key-term → term map (docs/format/segment.md "Derived keyword fields").
    func derivedOrdinals(_ field: String, _ fi: FieldInfo) throws -> [Int32] {
        let label = path ?? "segment \(id)"
        func corrupt() -> EngineError { .corruptFile(path: label, reason: "derivation of \(field) is malformed") }
        var r = ByteReader(slice(fi.ordOffset, fi.ordLength))
        let key: String, map: [Int32]
        do {
            key = try r.string(limit: 64 * 1024)
            guard key != field, let ki = fields[key], ki.storage == .keyword, ki.flags & SegmentFormat.flagOrdinals != 0,
                  ki.flags & SegmentFormat.flagDerived == 0 else { throw corrupt() }
            let n = try r.count()
            guard n == ki.termCount, fi.termCount < Int(Int32.max) else { throw corrupt() }
            var m: [Int32] = []
            m.reserveCapacity(n)
            for _ in 0..<n {
                let v = try r.varint()
                guard v <= UInt64(fi.termCount) else { throw corrupt() }
                m.append(Int32(v) - 1)
            }
            map = m
        } catch let e as EngineError { throw e } catch { throw corrupt() }
        guard let kc = try ordinalColumn(key) else { throw corrupt() }
        var ordOf = [Int32](repeating: -1, count: docCount)
        for d in 0..<docCount {
            let v = kc.range(d)
            guard v.count <= 1 else { throw corrupt() }
            if !v.isEmpty {
                let k = kc.ord(at: v.lowerBound)
                guard k >= 0, Int(k) < map.count else { throw corrupt() }
                ordOf[d] = map[Int(k)]
            }
        }
        return ordOf
    }

    /// Total tokens of a text field in this segment (BM25's average field length).
    public func sumTotalTermFreq(_ field: String) -> Int64 { fields[field]?.sumTotalTermFreq ?? 0 }

    /// Encoded field lengths per doc (Norms.decode gives the length); nil for version 1 segments.
    public func norms(_ field: String) throws -> [UInt8]? {
        guard let fi = fields[field], fi.flags & SegmentFormat.flagNorms != 0 else { return nil }
        if let n = lock.withLock({ normCols[field] }) { return n }
        var r = ByteReader(slice(fi.normOffset, fi.normLength))
        let n: [UInt8]
        do { n = try Zstd.decompress(try r.lengthPrefixed(limit: Int(Limits.maxSectionBytes)), expectedSize: docCount) }
        catch { throw EngineError.corruptFile(path: path ?? "segment \(id)", reason: "norms of \(field) are malformed") }
        return remember(\.normCols, field, n, cost: n.count)
    }
}
