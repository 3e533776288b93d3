/// Merges segments into one without re-indexing: documents are interleaved by timestamp,
/// stored blocks recompressed, and per field the term dictionaries merged with their postings
/// remapped; columns and norms are carried over. Memory is the output plus one field's
/// dictionaries, not the documents re-analysed (docs/format/segment.md describes the result).
public enum SegmentMerger {
    /// The merged file and, per input segment, each old doc's new doc id (-1: left out).
    public struct Output { public var bytes: [UInt8]; public var docCount: Int; public var minTs: Int64; public var maxTs: Int64; public var newID: [[Int32]] }

    /// Merges the live documents of `segs` (`deletes[k]` are left out); nil when none is live.
    public static func merge(_ segs: [Segment], deletes: [Bitset?], tuning: SegmentWriter.Tuning = SegmentWriter.Tuning()) throws -> Output? {
        // 1. Order: live docs of all inputs by (timestamp, input, doc); inputs are time-sorted.
        var ts: [[Int64]] = []
        for seg in segs {
            if let col = try seg.numericColumn(SegmentFormat.timestampField) {
                ts.append((0..<seg.docCount).map { col.has($0) ? col.values[$0] : SegmentFormat.noTimestamp })
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

        // 2. Stored blocks, with a dictionary trained on sampled documents of the inputs.
        let allDocs = segs.reduce(0) { $0 + $1.docCount }
        let sourceBytes = Int(Double(segs.reduce(0) { $0 + $1.storedRawBytes }) * Double(docCount) / Double(max(1, allDocs)))
        // The output is about the inputs' size less what deletions remove.
        let inputBytes = segs.reduce(0) { $0 + $1.byteSize }
        var enc = SegmentEncoder(capacity: Int(Double(inputBytes) * Double(docCount) / Double(max(1, allDocs))) + 65536, tuning: tuning)
        var names: [String: (FieldType.Storage, UInt8)] = [:]
        for seg in segs { for (n, fi) in seg.fields { names[n] = (fi.storage, (names[n]?.1 ?? 0) | fi.flags) } }
        let sortedNames = names.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let dict = try trainDictionary(segs, order, sourceBytes: sourceBytes, minBytes: tuning.dictionaryMinSourceBytes)
        try enc.writeStored(dictionary: dict, docCount: docCount, minTs: minTs, maxTs: maxTs, fieldCount: sortedNames.count) { n in
            let (k, d) = order[n]
            let doc = try segs[Int(k)].document(Int(d))
            return (doc.id, doc.version, doc.seq, doc.source)
        }

        // Inputs are read once, front to back: their pages need not stay resident.
        for seg in segs { seg.data.releaseResidentPages() }

        // 3. Fields.
        for name in sortedNames {
            var (storage, flags) = names[name]!
            if flags & SegmentFormat.flagPositions != 0 { flags |= SegmentFormat.flagPostings }
            if storage == .text && flags & SegmentFormat.flagPostings != 0 { flags |= SegmentFormat.flagNorms }
            if flags & SegmentFormat.flagPostings != 0 && (storage == .keyword || storage == .boolean) && name != "_id" { flags |= SegmentFormat.flagOrdinals }
            if name == "_id" { flags &= ~SegmentFormat.flagOrdinals }
            enc.beginField(name, storage: storage, flags: flags)
            var present = Bitset(count: docCount)
            var lengths: [Int32] = []
            if flags & SegmentFormat.flagPostings != 0 {
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
                        if nd >= 0 { values[nd] = col.values[d]; bitmap[nd >> 3] |= 1 << UInt8(nd & 7); n += 1; present.insert(nd) }
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
        return Output(bytes: enc.finish(), docCount: docCount, minTs: minTs, maxTs: maxTs, newID: newID)
    }

    /// Writes one field's merged dictionary and postings (and its ordinal column when asked);
    /// returns each document's token count for fields with positions (empty otherwise).
    private static func mergePostings(_ segs: [Segment], field: String, newID: [[Int32]], docCount: Int, positions: Bool, ordinals: Bool,
                                      present: inout Bitset, enc: inout SegmentEncoder) throws -> [Int32] {
        var lengths = positions ? [Int32](repeating: 0, count: docCount) : []
        let dicts = try segs.map { try $0.dictionary(field) }
        var cursor = [Int](repeating: 0, count: segs.count)
        var postings = SegmentEncoder.Postings(positions: positions)
        // Ordinal column as (doc, ord) pairs gathered term by term, turned into CSR at the end.
        var ordCounts = ordinals ? [Int32](repeating: 0, count: docCount + 1) : []
        var ordPairs: [(doc: Int32, ord: Int32)] = []
        var tDocs: [Int32] = [], tFreqs: [Int32] = [], tPos: [Int32] = []
        var merged: [(doc: Int32, freq: Int32, pos: ArraySlice<Int32>)] = []
        while true {
            // The smallest current term across inputs.
            var minTerm: [UInt8]? = nil
            for (k, d) in dicts.enumerated() {
                guard let d, cursor[k] < d.count else { continue }
                let t = d.term(cursor[k])
                if minTerm == nil || t.lexicographicallyPrecedes(minTerm!) { minTerm = t }
            }
            guard let term = minTerm else { break }
            merged.removeAll(keepingCapacity: true)
            var sorted = true
            for (k, d) in dicts.enumerated() {
                guard let d, cursor[k] < d.count, d.term(cursor[k]) == term else { continue }
                let ord = cursor[k]
                cursor[k] += 1
                if positions {
                    let p = try d.docsAndPositions(ord)
                    var at = 0
                    for (i, doc) in p.docs.enumerated() {
                        let f = Int(p.freqs[i])
                        let nd = newID[k][Int(doc)]
                        if nd >= 0 {
                            if let last = merged.last, last.doc > nd { sorted = false }
                            merged.append((nd, Int32(f), p.positions[at..<(at + f)]))
                        }
                        at += f
                    }
                } else {
                    for doc in try d.docs(ord) {
                        let nd = newID[k][Int(doc)]
                        if nd >= 0 {
                            if let last = merged.last, last.doc > nd { sorted = false }
                            merged.append((nd, 1, []))
                        }
                    }
                }
            }
            if merged.isEmpty { continue }
            if !sorted { merged.sort { $0.doc < $1.doc } }
            tDocs.removeAll(keepingCapacity: true); tFreqs.removeAll(keepingCapacity: true); tPos.removeAll(keepingCapacity: true)
            for e in merged {
                tDocs.append(e.doc); present.insert(Int(e.doc))
                if positions { tFreqs.append(e.freq); tPos.append(contentsOf: e.pos); lengths[Int(e.doc)] += e.freq }
                if ordinals { ordCounts[Int(e.doc) + 1] += 1; ordPairs.append((e.doc, Int32(postings.terms))) }
            }
            enc.addTerm(&postings, term, docs: tDocs, freqs: tFreqs, positions: tPos)
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

    /// Trains the stored-block dictionary on evenly spaced documents of the merged order.
    private static func trainDictionary(_ segs: [Segment], _ order: [(seg: Int32, doc: Int32)], sourceBytes: Int, minBytes: Int) throws -> [UInt8]? {
        guard sourceBytes >= minBytes else { return nil }
        let wanted = min(sourceBytes, Limits.storedDictionarySampleBytes)
        let avg = max(1, sourceBytes / order.count)
        let step = max(1, order.count / max(1, wanted / avg))
        var samples: [UInt8] = [], sizes: [Int] = []
        // Runs of consecutive documents, so each sampled stored block is decompressed once.
        let run = 32
        var n = 0
        while n < order.count && samples.count < wanted {
            for (k, d) in order[n..<min(order.count, n + run)] {
                let src = try segs[Int(k)].document(Int(d)).source
                samples.append(contentsOf: src); sizes.append(src.count)
            }
            n += step * run
        }
        let capacity = min(Limits.storedDictionaryBytes, sourceBytes / Limits.storedDictionaryShare)
        return Zstd.trainDictionary(samples: samples, sizes: sizes, capacity: capacity)
    }
}
