/// Serialises a SegmentBuilder into segment bytes (docs/format/segment.md): documents sorted
/// by timestamp, stored blocks compressed, postings and doc values remapped to the new order.
public enum SegmentWriter {
    /// The writer's compression choices; tests lower the thresholds so small fixtures
    /// exercise every path.
    public struct Tuning: Sendable {
        public var postingsPackMinBytes = Limits.postingsCompressMinBytes
        /// zstd level of the stored blocks (force-merges spend more, Limits.forceMergeStoredLevel).
        public var storedLevel: Int32 = Limits.zstdLevel
        /// Whether a stored-block dictionary may be trained (force-merges only, and only when
        /// the value table leaves most of the source: `Limits.storedDictionaryEncodedShare`).
        public var mayTrainDictionary = false
        public init() {}

        /// zstd level of columns, dictionaries and postings.
        public var columnLevel: Int32 = Limits.zstdLevel

        /// What a write buffer's seal writes: a segment the merges rewrite within seconds
        /// under sustained ingest, so it is compressed fast (`Limits.sealZstdLevel`).
        public static var seal: Tuning {
            var t = Tuning()
            t.storedLevel = Limits.sealZstdLevel
            t.columnLevel = Limits.sealZstdLevel
            return t
        }

        /// What a force-merge writes: the final form of an index, compressed for good.
        public static var forceMerge: Tuning {
            var t = Tuning()
            t.storedLevel = Limits.forceMergeStoredLevel
            t.mayTrainDictionary = true
            return t
        }
    }

    /// Builds the file bytes; returns nil when the builder has no live document.
    public static func write(_ b: SegmentBuilder, tuning: Tuning = Tuning()) -> (bytes: [UInt8], docCount: Int, minTs: Int64, maxTs: Int64, newID: [Int32])? {
        // 1. Order: live docs by (timestamp, arrival).
        var order: [Int32] = []
        order.reserveCapacity(b.docs.count)
        for i in 0..<b.docs.count where !b.deleted.contains(Int32(i)) { order.append(Int32(i)) }
        if order.isEmpty { return nil }
        let docs = b.docs
        var sorted = true
        for k in 1..<max(order.count, 1) where docs[Int(order[k - 1])].timestamp > docs[Int(order[k])].timestamp { sorted = false; break }
        if !sorted {
            order.sort { a, c in
                let ta = docs[Int(a)].timestamp, tc = docs[Int(c)].timestamp
                return ta != tc ? ta < tc : a < c
            }
        }
        var newID = [Int32](repeating: -1, count: docs.count)
        for (n, old) in order.enumerated() { newID[Int(old)] = Int32(n) }
        let docCount = order.count

        var minTs = Int64.max, maxTs = Int64.min
        for old in order {
            let ts = docs[Int(old)].timestamp
            if ts != SegmentFormat.noTimestamp { minTs = min(minTs, ts); maxTs = max(maxTs, ts) }
        }
        var enc = SegmentEncoder(capacity: b.sourceBytes / 8 + 4096, tuning: tuning)
        // 2. Stored blocks, repeated source values in the segment's value table.
        let names = SegmentDerivation.writeOrder(Array(b.fields.keys)) { n in
            let f = b.fields[n]!
            return f.storage == .keyword && n != "_id" && !f.occurrences.isEmpty ? f.terms.count : nil
        }
        var values = SourceValues.Builder(rememberSpans: true)
        for old in order { values.observe(docs[Int(old)].source) }
        values.chooseValues()
        enc.writeStored(values: &values,
                        docCount: docCount, minTs: minTs, maxTs: maxTs, fieldCount: names.count) { n in
            let d = docs[Int(order[n])]
            return (d.id, d.version, d.seq, d.source)
        }

        // 3. Per field: dictionary + postings, doc values.
        for name in names {
            let f = b.fields[name]!
            var flags: UInt8 = 0
            if !f.occurrences.isEmpty { flags |= SegmentFormat.flagPostings; if f.hasPositions { flags |= SegmentFormat.flagPositions } }
            if !f.numerics.isEmpty { flags |= SegmentFormat.flagNumeric }
            if !f.lengths.isEmpty { flags |= SegmentFormat.flagNorms }
            // `_id` needs lookups, not doc values (Elasticsearch has none for it either).
            if !f.occurrences.isEmpty && (f.storage == .keyword || f.storage == .boolean) && name != "_id" { flags |= SegmentFormat.flagOrdinals }
            enc.beginField(name, storage: f.storage, flags: flags)
            var present = [Bool](repeating: false, count: docCount)
            // Ordinal of each term id in the sorted dictionary (-1: only in deleted docs).
            var ordOfTerm: [Int32] = []
            // A `let`: the loops below read it from closures, where a `var` was copied per call.
            let grouped = flags & SegmentFormat.flagPostings != 0 ? GroupedOccurrences(f, newID: newID, order: order) : GroupedOccurrences()
            let termOrder = flags & SegmentFormat.flagPostings != 0 ? f.terms.sortedIDs() : []
            if flags & SegmentFormat.flagPostings != 0 {
                ordOfTerm = [Int32](repeating: -1, count: f.terms.count)
                // Array stores in these loops checked uniqueness per element (7 million
                // checks for 30,000 documents under callgrind): they write through buffers, and
                // what the loops grow is declared inside the closures, where it stays local.
                let postings = present.withUnsafeMutableBufferPointer { present in
                    var postings = SegmentEncoder.Postings(positions: f.hasPositions, capacity: f.occurrences.count * 2)
                    var entries: [SegmentEncoder.Entry] = []
                    for t in termOrder {
                        grouped.entries(term: Int(t), into: &entries)
                        if entries.isEmpty { continue }
                        ordOfTerm[Int(t)] = Int32(postings.terms)
                        for e in entries { present[Int(e.doc)] = true }
                        enc.addTerm(&postings, f.terms.bytes(Int(t)), entries, positions: grouped.positions)
                    }
                    return postings
                }
                enc.writePostings(postings)
            }
            if flags & SegmentFormat.flagNumeric != 0 {
                var values = [Int64](repeating: 0, count: docCount)
                var bitmap = [UInt8](repeating: 0, count: (docCount + 7) / 8)
                var n = 0
                for (d, v) in f.numerics {
                    let nd = newID[Int(d)]
                    if nd >= 0 { values[Int(nd)] = v; bitmap[Int(nd) >> 3] |= 1 << UInt8(truncatingIfNeeded: nd & 7); n += 1; present[Int(nd)] = true }
                }
                enc.writeNumeric(values: values, bitmap: bitmap, present: n)
            }
            if flags & SegmentFormat.flagOrdinals != 0 {
                // Per document, its distinct ordinals ascending (CSR built from the postings).
                var counts = [Int32](repeating: 0, count: docCount + 1)
                counts.withUnsafeMutableBufferPointer { counts in
                    var entries: [SegmentEncoder.Entry] = []
                    for t in 0..<f.terms.count where ordOfTerm[t] >= 0 {
                        grouped.entries(term: t, into: &entries)
                        for e in entries { counts[Int(e.doc) + 1] += 1 }
                    }
                    for d in 0..<docCount { counts[d + 1] += counts[d] }
                }
                var fill = counts
                var ords = [Int32](repeating: 0, count: Int(counts[docCount]))
                ords.withUnsafeMutableBufferPointer { ords in
                    fill.withUnsafeMutableBufferPointer { fill in
                        var entries: [SegmentEncoder.Entry] = []
                        for t in termOrder where ordOfTerm[Int(t)] >= 0 {
                            grouped.entries(term: Int(t), into: &entries)
                            let ord = ordOfTerm[Int(t)]
                            for e in entries { ords[Int(fill[Int(e.doc)])] = ord; fill[Int(e.doc)] += 1 }
                        }
                    }
                }
                enc.writeOrdinals(starts: counts, ords: ords)
            }
            if flags & SegmentFormat.flagNorms != 0 {
                // One byte per doc: Lucene's SmallFloat encoding of the field length, so scores
                // match Elasticsearch's lossy norms.
                var norms = [UInt8](repeating: 0, count: docCount)
                var total: UInt64 = 0
                for (d, len) in f.lengths {
                    let nd = newID[Int(d)]
                    if nd >= 0 { norms[Int(nd)] = Norms.encode(Int(len)); total += UInt64(len) }
                }
                enc.writeNorms(norms, total: total)
            }
            enc.endField(docsWithField: present.reduce(0) { $0 + ($1 ? 1 : 0) })
        }
        // 4. Directory and footer.
        return (enc.finish(), docCount, minTs, maxTs, newID)
    }
}

extension ZstdCompressor {
    /// Replaces `w`'s bytes from `start` with `varint rawLength, varint frameLength, frame`
    /// when they are long enough and that saves at least an eighth; says whether it did.
    func packTail(_ w: inout ByteWriter, from start: Int, minBytes: Int) -> Bool {
        let rawLen = w.count - start
        guard rawLen >= minBytes else { return false }
        let comp = w.bytes.withUnsafeBytes { compress(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        var hdr = ByteWriter()
        hdr.varint(UInt64(rawLen)); hdr.varint(UInt64(comp.count))
        guard hdr.count + comp.count <= rawLen - rawLen / 8 else { return false }
        w.bytes.removeSubrange(start...)
        w.append(hdr.bytes); w.append(comp)
        return true
    }
}

/// A field's occurrences regrouped by term, docs remapped to segment order: two counting
/// sorts (by new doc, then stably by term), so each term's postings come out ascending by doc
/// with a document's positions in their order. Sorting each term's entries by doc at every
/// seal had cost 12% of the flush thread on seed-shaped records (timestamps arrive unordered).
struct GroupedOccurrences {
    var termStart: [Int] = []
    var docs: [Int32] = []
    var positions: [Int32] = []
    var hasPositions = false

    init() {}

    /// `order[n]` is the buffer doc that becomes segment doc `n`.
    /// `assumeRuns: false` (tests) takes the path for occurrences out of document order.
    init(_ f: SegmentBuilder.FieldBuilder, newID: [Int32], order: [Int32], assumeRuns: Bool = true) {
        let n = f.terms.count
        let docCount = order.count
        hasPositions = f.hasPositions
        let occ = f.occurrences.flattened()
        let pos = hasPositions ? f.positions.flattened() : []
        // Each buffer doc's occurrences are one run (documents are indexed one at a time):
        // where each run starts, and how many live occurrences each term has.
        var runStart = [Int32](repeating: 0, count: newID.count + 1)
        var start = [Int](repeating: 0, count: n + 1)
        var inRuns = assumeRuns
        occ.withUnsafeBufferPointer { o in
            newID.withUnsafeBufferPointer { nid in
                runStart.withUnsafeMutableBufferPointer { rs in
                    start.withUnsafeMutableBufferPointer { st in
                        var prev = 0
                        for x in o {
                            let old = Int(UInt32(truncatingIfNeeded: x))
                            if old < prev { inRuns = false }
                            prev = old
                            rs[old + 1] += 1
                            if nid[old] >= 0 { st[Int(x >> 32) + 1] += 1 }
                        }
                    }
                }
            }
        }
        for d in 0..<newID.count { runStart[d + 1] += runStart[d] }
        for t in 0..<n { start[t + 1] += start[t] }
        let live = start[n]
        var fill = start
        var outDocs = [Int32](repeating: 0, count: live)
        var outPos = [Int32](repeating: 0, count: hasPositions ? live : 0)
        // Runs out of order (never by construction) fall back to sorting the occurrences by doc.
        let byDoc: [Int32] = inRuns ? [] : Self.occurrencesByDoc(occ, newID: newID, docCount: docCount)
        let withPositions = hasPositions
        occ.withUnsafeBufferPointer { o in
            pos.withUnsafeBufferPointer { p in
                fill.withUnsafeMutableBufferPointer { fl in
                    outDocs.withUnsafeMutableBufferPointer { od in
                        outPos.withUnsafeMutableBufferPointer { op in
                            @inline(__always) func place(_ i: Int, _ d: Int32) {
                                let t = Int(o[i] >> 32)
                                let slot = fl[t]
                                fl[t] = slot + 1
                                od[slot] = d
                                if withPositions { op[slot] = p[i] }
                            }
                            if inRuns {
                                for d in 0..<docCount {
                                    let old = Int(order[d])
                                    for i in Int(runStart[old])..<Int(runStart[old + 1]) { place(i, Int32(truncatingIfNeeded: d)) }
                                }
                            } else {
                                for i in byDoc { place(Int(i), newID[Int(UInt32(truncatingIfNeeded: o[Int(i)]))]) }
                            }
                        }
                    }
                }
            }
        }
        docs = outDocs
        positions = outPos
        termStart = start
    }

    /// Indices of the live occurrences ordered by new doc, stable (a counting sort).
    private static func occurrencesByDoc(_ occ: [UInt64], newID: [Int32], docCount: Int) -> [Int32] {
        var docStart = [Int32](repeating: 0, count: docCount + 1)
        for x in occ {
            let d = newID[Int(UInt32(truncatingIfNeeded: x))]
            if d >= 0 { docStart[Int(d) + 1] += 1 }
        }
        for d in 0..<docCount { docStart[d + 1] += docStart[d] }
        var byDoc = [Int32](repeating: 0, count: Int(docStart[docCount]))
        for (i, x) in occ.enumerated() {
            let d = Int(newID[Int(UInt32(truncatingIfNeeded: x))])
            guard d >= 0 else { continue }
            byDoc[Int(docStart[d])] = Int32(truncatingIfNeeded: i)
            docStart[d] += 1
        }
        return byDoc
    }

    /// The postings of `term`: (new doc, freq, index of its first position), ascending by doc.
    func entries(term: Int, into out: inout [SegmentEncoder.Entry]) {
        let start = termStart[term], end = termStart[term + 1]
        // Written through a buffer, reusing `out`'s memory: appending checked the array's
        // uniqueness per entry (5 million times for 30,000 documents), and a new array per
        // term made large merges map and unmap memory for every frequent term.
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement((doc: Int32(0), freq: Int32(0), posStart: 0), count: end - start))
        let n = docs.withUnsafeBufferPointer { docs in
            out.withUnsafeMutableBufferPointer { buf -> Int in
                var n = 0
                var i = start
                while i < end {
                    let d = docs[i]
                    var j = i + 1
                    while j < end && docs[j] == d { j += 1 }
                    buf[n] = (d, Int32(j - i), i)
                    n += 1
                    i = j
                }
                return n
            }
        }
        out.removeLast(out.count - n)
    }
}
