/// The byte encoding of a segment file (docs/format/segment.md, version 6), shared by the
/// writer (from a write buffer) and the merger (from other segments): sections are appended to
/// `out` in the order the caller produces them and described in the directory.
struct SegmentEncoder {
    /// The bytes not yet handed to `spill` (all of them when there is none).
    private(set) var out: ByteWriter
    /// Where the file goes while it is written (merges); nil: kept in memory (write buffers).
    let spill: SegmentSpill?
    /// The file offset of `out`'s first byte.
    private var base = 0
    /// Where the next byte lands in the file.
    var pos: Int { base + out.count }
    private var dir = ByteWriter()
    private var fieldsDeclared = 0
    let tuning: SegmentWriter.Tuning
    /// Columns, dictionaries and postings share one context (no dictionary).
    let plain: ZstdCompressor

    init(capacity: Int, tuning: SegmentWriter.Tuning, spill: SegmentSpill? = nil) {
        plain = ZstdCompressor(level: tuning.columnLevel)
        out = ByteWriter(capacity: spill.map { $0.pieceBytes + 256 * 1024 } ?? capacity)
        self.spill = spill
        self.tuning = tuning
        out.u32(SegmentFormat.magic); out.u16(SegmentFormat.version); out.u16(0); out.u64(0)
    }

    // MARK: stored blocks

    /// Writes the stored blocks, their index and the value table, then the directory's head.
    /// `doc(n)` gives the n-th document in segment order; sources go through `values`
    /// (`chooseValues` already called) and their encoded form is stored.
    mutating func writeStored(dictionary: [UInt8]? = nil, values: inout SourceValues.Builder, docCount: Int, minTs: Int64, maxTs: Int64, fieldCount: Int,
                              doc: (Int) throws -> (id: String, version: Int64, seq: Int64, source: [UInt8])) rethrows {
        // Background segments have no stored-block dictionary: with repeated values in the value
        // table, blocks came out smaller without one (docs/benchmarks.md); a force-merge trains
        // one when the table leaves most of the source (unique messages).
        let dictStart = pos
        if let d = dictionary { out.append(d) }
        let dictLen = pos - dictStart
        let blocks = ZstdCompressor(dictionary: dictionary, level: tuning.storedLevel)
        let storedStart = pos
        var index = ByteWriter()
        // Ids, versions, seq deltas, lengths and sources are gathered apart and laid out one
        // after the other: ids next to ids and JSON next to JSON compress better than interleaved.
        var ids = ByteWriter(capacity: 8192), versions = ByteWriter(), seqs = ByteWriter(), lengths = ByteWriter()
        var sources = ByteWriter(capacity: Limits.storedBlockBytes + 4096)
        var raw = ByteWriter(capacity: Limits.storedBlockBytes + 16384)
        var first = 0, count = 0
        var prevSeq: Int64 = 0
        func flushBlock(upTo next: Int) {
            guard next > first else { return }
            raw.varint(UInt64(ids.count + versions.count + seqs.count + lengths.count))
            for part in [ids, versions, seqs, lengths, sources] { raw.append(part.bytes) }
            let comp = blocks.compress(raw.bytes)
            index.varint(UInt64(first)); index.varint(UInt64(next - first))
            index.u64(UInt64(pos - storedStart)); index.varint(UInt64(comp.count)); index.varint(UInt64(raw.count))
            out.append(comp)
            spillIfFull()
            raw.bytes.removeAll(keepingCapacity: true)
            ids.bytes.removeAll(keepingCapacity: true); versions.bytes.removeAll(keepingCapacity: true)
            seqs.bytes.removeAll(keepingCapacity: true); lengths.bytes.removeAll(keepingCapacity: true)
            sources.bytes.removeAll(keepingCapacity: true)
            first = next
            prevSeq = 0
            count += 1
        }
        for n in 0..<docCount {
            let d = try doc(n)
            ids.string(d.id); versions.varint(UInt64(d.version)); seqs.svarint(d.seq &- prevSeq)
            prevSeq = d.seq
            if let encoded = values.encode(d.source) {
                lengths.varint(UInt64(encoded.count) << 1 | 1)
                sources.append(encoded)
            } else {
                lengths.varint(UInt64(d.source.count) << 1)
                sources.append(d.source)
            }
            if sources.count >= Limits.storedBlockBytes || n + 1 - first >= Limits.storedBlockMaxDocs { flushBlock(upTo: n + 1) }
        }
        flushBlock(upTo: docCount)
        let storedLen = pos - storedStart
        let indexStart = pos
        out.varint(UInt64(count))
        out.append(index.bytes)
        let indexLen = pos - indexStart
        let tableStart = pos
        if values.hasTable {
            // At the stored blocks' level: level 9 on a background merge's table of a few MB
            // took a 17 MB compression context while ingesting; force-merges use 9. In chunks,
            // so a fetch decodes only the chunk its references need (format 6).
            SourceValueChunks.encode(values.values, level: tuning.storedLevel, into: &out)
        }
        dir.varint(UInt64(docCount)); dir.i64(minTs); dir.i64(maxTs)
        dir.u64(UInt64(storedStart)); dir.u64(UInt64(storedLen))
        dir.u64(UInt64(indexStart)); dir.u64(UInt64(indexLen))
        dir.u64(UInt64(dictStart)); dir.u64(UInt64(dictLen))
        dir.u64(UInt64(tableStart)); dir.u64(UInt64(pos - tableStart))
        dir.varint(UInt64(fieldCount))
    }

    /// A stored-block dictionary for a force-merge whose encoded sources are still more than
    /// `Limits.storedDictionaryEncodedShare` of the raw ones (the value table found little to
    /// share): trained on runs of consecutive encoded documents spread over the segment.
    /// `encoded(n)` gives the n-th document's raw and encoded sizes and encoded bytes.
    static func trainStoredDictionary(docCount: Int, tuning: SegmentWriter.Tuning, encoded: (Int) throws -> (raw: Int, bytes: [UInt8])) rethrows -> [UInt8]? {
        guard tuning.mayTrainDictionary, docCount >= Limits.storedDictionaryMinDocs else { return nil }
        let run = 32
        let step = max(run, docCount * run / max(1, Limits.storedDictionarySampleDocs))
        var samples: [UInt8] = [], sizes: [Int] = []
        var raw = 0
        var n = 0
        while n < docCount && samples.count < Limits.storedDictionarySampleBytes {
            for k in n..<min(docCount, n + run) {
                let d = try encoded(k)
                raw += d.raw
                samples.append(contentsOf: d.bytes); sizes.append(d.bytes.count)
            }
            n += step
        }
        guard samples.count * 100 > raw * Limits.storedDictionaryEncodedShare else { return nil }
        let sourceEstimate = samples.count * docCount / max(1, sizes.count)
        return Zstd.trainDictionary(samples: samples, sizes: sizes, capacity: min(Limits.storedDictionaryBytes, sourceEstimate / Limits.storedDictionaryShare))
    }

    // MARK: fields (after writeStored; keyword fields with the most terms first, so they can be keys)

    mutating func beginField(_ name: String, storage: FieldType.Storage, flags: UInt8) {
        fdir = ByteWriter()
        fdir.string(name); fdir.u8(storage.rawValue)
        field = (name, storage, flags, fdir.count)
        fdir.u8(flags)
        fieldsDeclared += 1
    }

    /// The current field's directory entry, and the finished ones: fields may be written in any
    /// order (keys for derivation first), the directory lists them by name.
    private var fdir = ByteWriter()
    private var fieldEntries: [(name: [UInt8], entry: [UInt8])] = []

    /// The field being written: its name, storage, flags and where its flags byte sits in the directory.
    private var field: (name: String, storage: FieldType.Storage, flags: UInt8, flagsAt: Int) = ("", .keyword, 0, 0)
    /// A keyword field's postings, held until its ordinals tell whether it is derived.
    private var pending: Postings?
    private var derivation = SegmentDerivation()

    /// Whether this field's postings wait for its ordinals (keyword fields with both).
    private var mayDerive: Bool {
        let both = SegmentFormat.flagPostings | SegmentFormat.flagOrdinals
        return field.storage == .keyword && field.flags & both == both && field.flags & SegmentFormat.flagPositions == 0
    }

    /// One field's terms in bytewise order with their postings.
    struct Postings {
        var dict = ByteWriter()
        var post = ByteWriter()
        var prevTerm: [UInt8] = []
        var terms = 0
        var lastStart = 0
        /// Where each block of `TermBlocks.size` entries starts in `dict`.
        var blockStarts: [Int] = []
        /// Where `addTerm` encodes a term's postings before appending them.
        var scratch: [UInt8] = []
        let positions: Bool
        init(positions: Bool, capacity: Int = 0) { self.positions = positions; post = ByteWriter(capacity: capacity) }
    }

    /// One document of a term's postings: its id, the term's frequency in it and where its
    /// `freq` positions (ascending) start in the positions buffer passed alongside.
    typealias Entry = (doc: Int32, freq: Int32, posStart: Int)

    /// Appends a term with its entries, ascending by doc; `positions` is read only for fields
    /// with positions. Writer and merger both hand over their own buffers: nothing is copied.
    /// `mutating` though it changes only `p`: called on an encoder captured by a closure (the
    /// writer's per-term loop), a non-mutating call copied the whole encoder per term, retaining
    /// and releasing each of its buffers (2% of a seed-shaped ingest's CPU).
    mutating func addTerm(_ p: inout Postings, _ term: some Collection<UInt8>, _ entries: [Entry], positions: [Int32]) {
        let start = p.post.count
        // The varints go to a scratch buffer, then to the postings a piece at a time: appending
        // byte by byte checked the array's uniqueness per byte (5.5 million times for 30,000
        // documents). A varint of 32 bits takes at most 5 bytes.
        // A piece's bound is exactly what its loop can write: per entry a doc delta, and with
        // positions a frequency and that many positions. Frequencies are positive (the builder
        // counts them; a merge reads them checked to 1..<2^24, `TermDictionary.decode`), so
        // the sums cannot overflow and the writes need no check of their own (one per varint
        // cost 0.6k instructions a document).
        // Pieces of at most `Limits.postingsScratchBytes` (or one entry's positions, when more):
        // sized for a whole term, the scratch of a day's merge grew to 10 MB for a word in every
        // record, five bytes reserved per one- or two-byte varint.
        // The scratch is kept with the field's postings (taken out while in use, so it stays
        // uniquely held): a buffer per term made large merges map and unmap memory for every
        // frequent term.
        var scratch = p.scratch
        p.scratch = []
        let budget = Limits.postingsScratchBytes
        func emit(_ bound: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
            if scratch.count < bound { scratch = [UInt8](repeating: 0, count: max(bound, min(budget, scratch.count * 2))) }
            let n = scratch.withUnsafeMutableBufferPointer { fill($0) }
            scratch.withUnsafeBufferPointer { p.post.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
        }
        var last: Int32 = 0
        var i = 0
        while i < entries.count {
            let end = min(entries.count, i + budget / 5)
            emit((end - i) * 5) { buf in
                var n = 0
                for k in i..<end { ByteWriter.varint(UInt32(bitPattern: entries[k].doc &- last), into: buf, at: &n); last = entries[k].doc }
                return n
            }
            i = end
        }
        if p.positions {
            i = 0
            while i < entries.count {
                // At least one entry, then as many as fit the budget.
                var end = i
                var bound = 0
                repeat { bound += 5 + 5 * max(0, Int(entries[end].freq)); end += 1 }
                while end < entries.count && bound + 5 + 5 * max(0, Int(entries[end].freq)) <= budget
                emit(bound) { buf in
                    var n = 0
                    for k in i..<end {
                        let e = entries[k]
                        ByteWriter.varint(UInt32(bitPattern: e.freq), into: buf, at: &n)
                        var lp: Int32 = 0
                        for q in e.posStart..<(e.posStart + Int(e.freq)) {
                            ByteWriter.varint(UInt32(bitPattern: positions[q] &- lp), into: buf, at: &n); lp = positions[q]
                        }
                    }
                    return n
                }
                i = end
            }
        }
        p.scratch = scratch
        let packed = plain.packTail(&p.post, from: start, minBytes: tuning.postingsPackMinBytes)
        let t = Array(term)
        let at = p.dict.count
        if TermBlocks.appendEntry(&p.dict, index: p.terms, term: t, previous: p.prevTerm, docFreq: entries.count,
                                  postings: start, previousPostings: p.lastStart, packed: packed) {
            p.blockStarts.append(at)
        }
        p.lastStart = start
        p.prevTerm = t
        p.terms += 1
    }

    /// A keyword field that may be derived waits for its ordinals.
    mutating func writePostings(_ p: Postings) {
        if mayDerive { pending = p; return }
        writePostingsNow(p)
    }

    private mutating func writePostingsNow(_ p: Postings, derived: Bool = false) {
        let dictOff = pos
        // Plain, in blocks, read in place (format 6): no decoded copy per searched segment.
        out.u8(1)
        out.varint(UInt64(p.blockStarts.count))
        for b in p.blockStarts { out.u64(UInt64(b)) }
        appendLarge(p.dict.bytes)
        let dictLen = pos - dictOff
        let postOff = pos
        if !derived { appendLarge(p.post.bytes) }
        fdir.u64(UInt64(dictOff)); fdir.u64(UInt64(dictLen)); fdir.u64(UInt64(postOff)); fdir.u64(UInt64(pos - postOff)); fdir.varint(UInt64(p.terms))
    }

    /// A single-valued numeric column, bit-packed in blocks to be read in place (version 6).
    mutating func writeNumeric(values: [Int64], bitmap: [UInt8], present: Int) {
        let off = pos
        NumericColumn.encode(values: values, bitmap: bitmap, present: present, into: &out)
        fdir.u64(UInt64(off)); fdir.u64(UInt64(pos - off))
    }

    /// Per document its ordinals ascending, as CSR (`starts` has docCount + 1 entries).
    /// A keyword field whose values follow from an earlier key field's is written as its terms
    /// and a map (flag `derived`); otherwise as postings and this column.
    mutating func writeOrdinals(starts: [Int32], ords: [Int32]) {
        guard let p = pending else { writeOrdinalsNow(starts: starts, ords: ords); return }
        pending = nil
        let single = SegmentDerivation.singleValued(starts: starts, ords: ords)
        if let ordOf = single, let (key, map) = derivation.derivation(of: ordOf) {
            writePostingsNow(p, derived: true)
            let off = pos
            out.string(key.name)
            out.varint(UInt64(map.count))
            for m in map { out.varint(UInt64(m + 1)) }
            fdir.u64(UInt64(off)); fdir.u64(UInt64(pos - off))
            fdir.bytes[field.flagsAt] |= SegmentFormat.flagDerived
            return
        }
        writePostingsNow(p)
        writeOrdinalsNow(starts: starts, ords: ords)
        if let ordOf = single { derivation.offer(name: field.name, termCount: p.terms, ordOf: ordOf) }
    }

    private mutating func writeOrdinalsNow(starts: [Int32], ords: [Int32]) {
        let off = pos
        OrdinalColumn.encode(starts: starts, ords: ords, into: &out)
        fdir.u64(UInt64(off)); fdir.u64(UInt64(pos - off))
    }

    /// One byte per document (Lucene's SmallFloat of the field length) and the total tokens.
    mutating func writeNorms(_ norms: [UInt8], total: UInt64) {
        let comp = plain.compress(norms)
        let off = pos
        out.varint(UInt64(comp.count)); out.append(comp)
        fdir.u64(UInt64(off)); fdir.u64(UInt64(pos - off)); fdir.varint(total)
    }

    mutating func endField(docsWithField: Int) {
        spillIfFull()
        fdir.varint(UInt64(docsWithField))
        fieldEntries.append((Array(field.name.utf8), fdir.bytes))
    }

    /// Directory and footer; the file's bytes (in memory) or what is left of them after the
    /// spill took the rest (`spill.publish()` then makes the file durable).
    mutating func finish() -> [UInt8] {
        for f in fieldEntries.sorted(by: { $0.name.lexicographicallyPrecedes($1.name) }) { dir.append(f.entry) }
        let dirOff = pos
        out.append(dir.bytes)
        out.u64(UInt64(dirOff)); out.u64(UInt64(dir.count))
        let crc = Checksum.crc32(out.bytes, seed: spill?.crc ?? 0)
        out.u32(crc); out.u16(SegmentFormat.version); out.u16(0); out.u32(SegmentFormat.magic)
        if let spill {
            let footer = Array(out.bytes.suffix(12))
            spill.write(Array(out.bytes.dropLast(12)))
            spill.write(footer, checksummed: false)
            base += out.count
            out.bytes.removeAll()
        }
        return out.bytes
    }

    /// Hands the buffered bytes to the spill file once there are enough of them.
    mutating func spillIfFull() {
        guard let spill, out.count >= spill.pieceBytes else { return }
        spill.write(out.bytes)
        base += out.count
        out.bytes.removeAll(keepingCapacity: true)
    }

    /// Appends a big section without copying it into `out` first when spilling.
    private mutating func appendLarge(_ bytes: [UInt8]) {
        guard let spill else { out.append(bytes); return }
        spill.write(out.bytes)
        spill.write(bytes)
        base += out.count + bytes.count
        out.bytes.removeAll(keepingCapacity: true)
    }

    /// The file's total length (after `finish`).
    var length: Int { pos }
}
