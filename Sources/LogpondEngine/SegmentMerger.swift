/// Merges segments into one without re-indexing: documents are interleaved by timestamp,
/// stored blocks recompressed, and per field the term dictionaries merged with their postings
/// remapped; columns and norms are carried over. Memory is the output plus one field's
/// dictionaries, not the documents re-analysed (docs/format/segment.md describes the result).
public enum SegmentMerger {
    /// The merged file and, per input segment, each old doc's new doc id (-1: left out).
    /// `bytes` is the whole file, or empty when it went to a spill file; `length` is its size.
    public struct Output { public var bytes: [UInt8]; public var length: Int; public var docCount: Int; public var minTs: Int64; public var maxTs: Int64; public var newID: [[Int32]] }

    /// Merges the live documents of `segs` (`deletes[k]` are left out); nil when none is live.
    /// With `spill` the file is written there as it is produced (`spill.publish()` is the caller's).
    static func merge(_ segs: [Segment], deletes: [Bitset?], tuning: SegmentWriter.Tuning = SegmentWriter.Tuning(), spill: SegmentSpill? = nil,
                      betweenFields: () -> Void = {}) throws -> Output? {
        // 1. Order: live docs of all inputs by (timestamp, input, doc); inputs are time-sorted.
        var ts: [[Int64]] = []
        for seg in segs {
            if let col = try seg.numericColumn(SegmentFormat.timestampField) {
                ts.append((0..<seg.docCount).map { col.has($0) ? col.value($0) : SegmentFormat.noTimestamp })
            } else { ts.append([Int64](repeating: SegmentFormat.noTimestamp, count: seg.docCount)) }
        }
        var newID = segs.map { [Int32](repeating: -1, count: $0.docCount) }
        var order: [(seg: Int32, doc: Int32)] = []
        var cursor = [Int](repeating: 0, count: segs.count)
        func skipDeleted(_ k: Int) { while cursor[k] < segs[k].docCount && (deletes[k]?.contains(cursor[k]) ?? false) { cursor[k] += 1 } }
        for k in segs.indices { skipDeleted(k) }
        while true {
            var best = -1
            for k in segs.indices where cursor[k] < segs[k].docCount {
                if best < 0 || ts[k][cursor[k]] < ts[best][cursor[best]] { best = k }
            }
            if best < 0 { break }
            newID[best][cursor[best]] = Int32(order.count)
            order.append((Int32(best), Int32(cursor[best])))
            cursor[best] += 1
            skipDeleted(best)
        }
        if order.isEmpty { return nil }
        let docCount = order.count
        var minTs = Int64.max, maxTs = Int64.min
        for (k, d) in order {
            let t = ts[Int(k)][Int(d)]
            if t != SegmentFormat.noTimestamp { minTs = min(minTs, t); maxTs = max(maxTs, t) }
        }
        ts = []

        // 2. Stored blocks. The output is about the inputs' size less what deletions remove.
        let live = Double(docCount) / Double(max(1, segs.reduce(0) { $0 + $1.docCount }))
        var enc = SegmentEncoder(capacity: Int(Double(segs.reduce(0) { $0 + $1.byteSize }) * live) + 65536, tuning: tuning, spill: spill)
        var names: [String: (FieldType.Storage, UInt8)] = [:]
        for seg in segs { for (n, fi) in seg.fields { names[n] = (fi.storage, (names[n]?.1 ?? 0) | fi.flags) } }
        // Merged term counts are not known yet: the largest input's stands in for ordering.
        let sortedNames = SegmentDerivation.writeOrder(Array(names.keys)) { n in
            names[n]!.0 == .keyword && n != "_id" && names[n]!.1 & SegmentFormat.flagPostings != 0
                ? segs.map { $0.fieldInfo(n)?.termCount ?? 0 }.max() : nil
        }
        // A first pass over the sources chooses the value table (SourceValues.swift).
        var values = SourceValues.Builder()
        var scan = segs.map { SequentialStoredReader($0) }
        for (k, d) in order { values.observe(try scan[Int(k)].document(Int(d)).source) }
        scan = []
        values.chooseValues()
        var sampler = segs.map { SequentialStoredReader($0) }
        let dict = try SegmentEncoder.trainStoredDictionary(docCount: docCount, tuning: tuning) { n in
            let src = try sampler[Int(order[n].seg)].document(Int(order[n].doc)).source
            return (src.count, values.encode(src) ?? src)
        }
        sampler = []
        var readers = segs.map { SequentialStoredReader($0) }
        try enc.writeStored(dictionary: dict, values: &values, docCount: docCount, minTs: minTs, maxTs: maxTs, fieldCount: sortedNames.count) { n in
            let (k, d) = order[n]
            let doc = try readers[Int(k)].document(Int(d))
            return (doc.id, doc.version, doc.seq, doc.source)
        }

        // Inputs are read once, front to back: their pages need not stay resident.
        for seg in segs { seg.data.releaseResidentPages() }

        // 3. Fields.
        for name in sortedNames {
            betweenFields()
            var (storage, flags) = names[name]!
            // Whether the output derives a field is the encoder's decision, not the inputs'.
            flags &= ~SegmentFormat.flagDerived
            // As the writer decides them: version 1 inputs lack norms and had `_id` ordinals.
            let postings = flags & SegmentFormat.flagPostings != 0
            if postings && storage == .text { flags |= SegmentFormat.flagNorms }
            if postings && (storage == .keyword || storage == .boolean) && name != "_id" { flags |= SegmentFormat.flagOrdinals } else { flags &= ~SegmentFormat.flagOrdinals }
            enc.beginField(name, storage: storage, flags: flags)
            var present = Bitset(count: docCount)
            var lengths: [Int32] = []
            if postings {
                lengths = try mergePostings(segs, field: name, newID: newID, docCount: docCount, positions: flags & SegmentFormat.flagPositions != 0,
                                            ordinals: flags & SegmentFormat.flagOrdinals != 0, present: &present, enc: &enc)
            }
            if flags & SegmentFormat.flagNumeric != 0 {
                var values = [Int64](repeating: 0, count: docCount)
                var bitmap = [UInt8](repeating: 0, count: (docCount + 7) / 8)
                var n = 0
                for (k, seg) in segs.enumerated() {
                    guard let col = try seg.numericColumn(name) else { continue }
                    for d in 0..<seg.docCount where col.has(d) {
                        let nd = Int(newID[k][d])
                        if nd >= 0 { values[nd] = col.value(d); bitmap[nd >> 3] |= 1 << UInt8(nd & 7); n += 1; present.insert(nd) }
                    }
                }
                enc.writeNumeric(values: values, bitmap: bitmap, present: n)
            }
            if flags & SegmentFormat.flagNorms != 0 {
                // A document's field length is its number of token occurrences, so norms come
                // exactly from the merged postings (also for version 1 inputs, which had none).
                var norms = [UInt8](repeating: 0, count: docCount)
                var total: UInt64 = 0
                for (d, len) in lengths.enumerated() where len > 0 { norms[d] = Norms.encode(Int(len)); total += UInt64(len) }
                enc.writeNorms(norms, total: total)
            }
            enc.endField(docsWithField: present.cardinality)
            for seg in segs { seg.dropCaches(field: name); seg.data.releaseResidentPages() }
        }
        let bytes = enc.finish()
        return Output(bytes: bytes, length: enc.length, docCount: docCount, minTs: minTs, maxTs: maxTs, newID: newID)
    }

    /// Writes one field's merged dictionary and postings (and its ordinal column when asked);
    /// returns each document's token count for fields with positions (empty otherwise).
    private static func mergePostings(_ segs: [Segment], field: String, newID: [[Int32]], docCount: Int, positions: Bool, ordinals: Bool,
                                      present: inout Bitset, enc: inout SegmentEncoder) throws -> [Int32] {
        var lengths = positions ? [Int32](repeating: 0, count: docCount) : []
        let dicts = try segs.map { try $0.dictionary(field) }
        var cursor = [Int](repeating: 0, count: segs.count)
        // Each input's current term, decoded once per step.
        var heads: [[UInt8]?] = dicts.map { d in d.flatMap { $0.count > 0 ? $0.term(0) : nil } }
        // Room for about the inputs' postings up front: doubling from empty left the biggest
        // field's buffer (the `log` postings of a merge) copied while both copies lived.
        let inputBytes = segs.reduce(0) { $0 + ($1.fieldInfo(field)?.postLength ?? 0) }
        var postings = SegmentEncoder.Postings(positions: positions, capacity: inputBytes + inputBytes / 8)
        // Ordinal column as (doc, ord) pairs gathered term by term, turned into CSR at the end.
        var ordCounts = ordinals ? [Int32](repeating: 0, count: docCount + 1) : []
        var ordPairs: [(doc: Int32, ord: Int32)] = []
        var entries: [SegmentEncoder.Entry] = []
        var pos: [Int32] = []
        while let term = heads.lazy.compactMap({ $0 }).min(by: { $0.lexicographicallyPrecedes($1) }) {
            entries.removeAll(keepingCapacity: true)
            pos.removeAll(keepingCapacity: true)
            var sorted = true
            for (k, d) in dicts.enumerated() where heads[k] == term {
                let d = d!, ord = cursor[k]
                cursor[k] += 1
                heads[k] = cursor[k] < d.count ? d.term(cursor[k]) : nil
                let p = positions ? try d.docsAndPositions(ord, cache: false) : (docs: try d.docs(ord, cache: false), freqs: [], positions: [])
                var at = 0
                for (i, doc) in p.docs.enumerated() {
                    let f = positions ? Int(p.freqs[i]) : 1
                    let nd = newID[k][Int(doc)]
                    if nd >= 0 {
                        if let last = entries.last, last.doc > nd { sorted = false }
                        entries.append((nd, Int32(f), pos.count))
                        if positions { pos.append(contentsOf: p.positions[at..<(at + f)]) }
                    }
                    if positions { at += f }
                }
            }
            if entries.isEmpty { continue }
            // Entries keep their positions' offsets, so sorting them moves no positions.
            if !sorted { entries.sort { $0.doc < $1.doc } }
            for e in entries {
                present.insert(Int(e.doc))
                if positions { lengths[Int(e.doc)] += e.freq }
                if ordinals { ordCounts[Int(e.doc) + 1] += 1; ordPairs.append((e.doc, Int32(postings.terms))) }
            }
            enc.addTerm(&postings, term, entries, positions: pos)
        }
        enc.writePostings(postings)
        if ordinals {
            for d in 0..<docCount { ordCounts[d + 1] += ordCounts[d] }
            var fill = ordCounts
            var ords = [Int32](repeating: 0, count: ordPairs.count)
            // Pairs arrive in ascending ordinal order, so each document's ordinals come out sorted.
            for (doc, ord) in ordPairs { ords[Int(fill[Int(doc)])] = ord; fill[Int(doc)] += 1 }
            enc.writeOrdinals(starts: ordCounts, ords: ords)
        }
        return lengths
    }
}
