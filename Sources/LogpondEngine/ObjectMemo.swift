import CSimdJSON
#if canImport(Glibc)
import Glibc
#endif

/// What an object directly under a document's root added to a write buffer, by the object's
/// content. A pod's `kubernetes` block (ids, labels, annotations) rides unchanged on every one
/// of its records, so the second and later copies in a buffer replay the first one's interned
/// terms, positions and values instead of resolving, checking, analysing and hashing each of
/// its values again (issue 17). The result is the same buffer, byte for byte
/// (`ObjectMemoTests.testObjectMemoChangesNoByteOfTheSegment`).
///
/// Valid for one builder and one mapping version: term ids are the builder's, and what a
/// value becomes depends on the mapping. A replay happens only when none of the object's
/// fields has a value yet in the document, so positions start where they started when the
/// object was recorded.
public final class ObjectMemo {
    /// One event of an object as its key compares it: string and path offsets are relative to
    /// the object's first arena byte, so equal records over equal arena bytes mean equal events.
    /// Compared with `memcmp`: six `UInt32`s then a `UInt64` leave no padding.
    struct Record {
        var kind: UInt32, depth: UInt32, pathOff: UInt32, pathLen: UInt32, strOff: UInt32, strLen: UInt32
        var value: UInt64
    }

    /// What one builder field got from the object.
    struct Field {
        /// Unretained (the entry's `owners` holds it): a retain and release per field per
        /// replay were a third of the replay's time.
        let field: Unmanaged<SegmentBuilder.FieldBuilder>
        /// Into the entry's `terms` and `positions`, in the order they were added.
        let terms: Range<Int>
        /// The numeric doc value, when the field has one.
        let numeric: Int64?
        /// Text fields: where a later value in the same document starts.
        let nextPosition: Int32?
    }

    /// One recorded object.
    final class Entry {
        let arena: [UInt8]
        let records: [Record]
        let fields: [Field]
        let owners: [SegmentBuilder.FieldBuilder]
        let terms: [Int32]
        let positions: [Int32]
        init(arena: [UInt8], records: [Record], fields: [Field], owners: [SegmentBuilder.FieldBuilder], terms: [Int32], positions: [Int32]) {
            self.arena = arena; self.records = records; self.fields = fields; self.owners = owners; self.terms = terms; self.positions = positions
        }
        var bytes: Int { arena.count + records.count * MemoryLayout<Record>.stride + terms.count * 8 + fields.count * 48 }
    }

    /// An object of the current document: events `start..<end` (its contents, after its own
    /// object event), with its key's place in `keyRecords` and the arena.
    struct Span {
        let start: Int, end: Int
        let records: Range<Int>
        let arenaStart: Int, arenaEnd: Int
        let hash: UInt64
        var entry: Entry?
    }

    private var byHash: [UInt64: Entry] = [:]
    private var bytes = 0
    private var lookups = 0
    /// Lookups that found the object (tests).
    private(set) var hits = 0
    /// Off for this buffer once objects have proved not to repeat, or when a test says so.
    private(set) var enabled = true
    /// The mapping version the entries were recorded under.
    private var mappingVersion = Int.min
    /// The current document's objects, in event order.
    private(set) var spans: [Span] = []
    private var keyRecords: [Record] = []

    // Recording: the builder fields the current span touched, with their sizes before it.
    private var touched: [(field: SegmentBuilder.FieldBuilder, occurrences: Int, positions: Int, numerics: Int)] = []
    private var spoiled = false
    /// Tells recordings apart on the fields they touch (`FieldBuilder.memoRecording`), so a
    /// field is found among the touched ones without a search: wide objects made that quadratic.
    private var recording: UInt64 = 1

    /// Objects remembered (tests).
    var entryCount: Int { byHash.count }

    public func disable() { enabled = false; forget(version: mappingVersion); spans.removeAll() }

    private func forget(version: Int) {
        mappingVersion = version
        byHash.removeAll(keepingCapacity: true)
        bytes = 0
    }

    /// Starts a document indexed under mapping `version` (entries of another version go):
    /// finds its objects directly under the root and looks each up.
    func begin(version: Int, _ events: UnsafeBufferPointer<lp_event>, _ arena: UnsafePointer<UInt8>) {
        spans.removeAll(keepingCapacity: true)
        keyRecords.removeAll(keepingCapacity: true)
        if version != mappingVersion { forget(version: version) }
        guard enabled else { return }
        var i = 0
        while i < events.count {
            let e = events[i]
            guard e.depth == 1 && e.kind == FlatEvent.Kind.object.rawValue else { i += 1; continue }
            // The object's contents: every later event deeper than it (arrays keep their
            // elements at their own depth, so an array under it is deeper too).
            var end = i + 1
            while end < events.count && events[end].depth > 1 { end += 1 }
            if end - (i + 1) >= Limits.objectMemoMinEvents { span(events, arena, i + 1, end) }
            i = end
        }
    }

    /// The mapping changed while the document was planned: its objects are recorded again.
    func mappingChanged(to version: Int) {
        forget(version: version)
        for i in spans.indices { spans[i].entry = nil }
    }

    private func span(_ events: UnsafeBufferPointer<lp_event>, _ arena: UnsafePointer<UInt8>, _ start: Int, _ end: Int) {
        var lo = Int.max, hi = 0
        for j in start..<end {
            let e = events[j]
            lo = min(lo, Int(e.path_off)); hi = max(hi, Int(e.path_off) + Int(e.path_len))
            if e.kind == FlatEvent.Kind.string.rawValue { lo = min(lo, Int(e.str_off)); hi = max(hi, Int(e.str_off) + Int(e.str_len)) }
        }
        let first = keyRecords.count
        // Numbers are not in the arena: they go into the hash here, one multiply per event.
        var mix: UInt64 = 0
        for j in start..<end {
            let e = events[j]
            let isString = e.kind == FlatEvent.Kind.string.rawValue
            let value: UInt64
            switch FlatEvent.Kind(rawValue: e.kind) {
            case .int?: value = UInt64(bitPattern: e.i)
            case .uint?, .double?: value = e.d.bitPattern
            default: value = 0
            }
            mix = (mix ^ value ^ UInt64(e.kind) << 56 ^ UInt64(e.path_len) << 32 ^ UInt64(e.str_len)) &* 0xFF51_AFD7_ED55_8CCD
            keyRecords.append(Record(kind: e.kind, depth: e.depth, pathOff: UInt32(Int(e.path_off) - lo), pathLen: e.path_len,
                                     strOff: isString ? UInt32(Int(e.str_off) - lo) : 0, strLen: isString ? e.str_len : 0, value: value))
        }
        let records = first..<keyRecords.count
        // CRC-32 folds a kilobyte in a few dozen nanoseconds; a collision costs a comparison.
        let h = UInt64(Checksum.crc32(UnsafeRawBufferPointer(start: arena + lo, count: hi - lo))) ^ mix
        lookups += 1
        var found: Entry? = nil
        if let c = byHash[h], same(c, arena + lo, hi - lo, records) { hits += 1; found = c }
        spans.append(Span(start: start, end: end, records: records, arenaStart: lo, arenaEnd: hi, hash: h, entry: found))
        // Objects that do not repeat (a request id inside) pay the key and no more.
        if lookups == Limits.objectMemoProbe && hits * 4 < lookups { disable() }
    }

    private func same(_ c: Entry, _ a: UnsafePointer<UInt8>, _ n: Int, _ records: Range<Int>) -> Bool {
        guard c.arena.count == n, c.records.count == records.count else { return false }
        let arenaSame = c.arena.withUnsafeBufferPointer { n == 0 || memcmp($0.baseAddress!, a, n) == 0 }
        guard arenaSame else { return false }
        return c.records.withUnsafeBytes { r in
            keyRecords.withUnsafeBytes { k in
                memcmp(r.baseAddress!, k.baseAddress! + records.lowerBound * MemoryLayout<Record>.stride, r.count) == 0
            }
        }
    }

    /// Adds a recorded object's terms and values to `doc`; false (nothing added) when one of
    /// its fields already has a value in `doc`.
    func replay(_ entry: Entry, doc: Int32) -> Bool {
        entry.fields.withUnsafeBufferPointer { fields in
            for f in fields where f.field._withUnsafeGuaranteedRef({ $0.lastDoc == doc || $0.nextPositionDoc == doc }) { return false }
            entry.terms.withUnsafeBufferPointer { terms in
                entry.positions.withUnsafeBufferPointer { positions in
                    for f in fields {
                        f.field._withUnsafeGuaranteedRef { fb in
                            if !f.terms.isEmpty {
                                fb.addInterned(UnsafeBufferPointer(rebasing: terms[f.terms]), at: UnsafeBufferPointer(rebasing: positions[f.terms]), doc: doc)
                            }
                            if let v = f.numeric { fb.addNumeric(v, doc: doc) }
                            if let p = f.nextPosition { fb.nextPositionDoc = doc; fb.nextPosition = p }
                        }
                    }
                }
            }
            return true
        }
    }

    /// Recording: `field` is about to get a value of the span being recorded.
    @inline(__always) func touch(_ field: SegmentBuilder.FieldBuilder, doc: Int32, isTimestamp: Bool) {
        if isTimestamp { spoiled = true }   // it also sets the document's timestamp
        if field.memoRecording == recording { return }
        field.memoRecording = recording
        // A value before the object in this document moved its positions: not replayable.
        if field.lastDoc == doc || field.nextPositionDoc == doc { spoiled = true }
        touched.append((field, field.occurrences.count, field.positions.count, field.numerics.count))
    }

    /// Recording: the span ended; remembers what it added to `doc`.
    func finish(_ span: Span, doc: Int32, arena: UnsafePointer<UInt8>) {
        defer { touched.removeAll(keepingCapacity: true); spoiled = false; recording &+= 1 }
        guard enabled, !spoiled, byHash.count < Limits.objectMemoEntries, bytes < Limits.objectMemoBytes else { return }
        var fields: [Field] = [], terms: [Int32] = [], positions: [Int32] = []
        for t in touched {
            let fb = t.field
            let start = terms.count
            for k in t.occurrences..<fb.occurrences.count { terms.append(Int32(bitPattern: UInt32(truncatingIfNeeded: fb.occurrences[k] >> 32))) }
            // Text fields append a position per occurrence: one read per term keeps the two aligned.
            for k in 0..<(terms.count - start) { positions.append(fb.hasPositions ? fb.positions[t.positions + k] : 0) }
            let numeric = fb.numerics.count > t.numerics ? fb.numerics[fb.numerics.count - 1].value : nil
            fields.append(Field(field: Unmanaged.passUnretained(fb), terms: start..<terms.count, numeric: numeric,
                                nextPosition: fb.nextPositionDoc == doc ? fb.nextPosition : nil))
        }
        let entry = Entry(arena: Array(UnsafeBufferPointer(start: arena + span.arenaStart, count: span.arenaEnd - span.arenaStart)),
                          records: Array(keyRecords[span.records]), fields: fields, owners: touched.map(\.field), terms: terms, positions: positions)
        if let old = byHash[span.hash] { bytes -= old.bytes }
        byHash[span.hash] = entry
        bytes += entry.bytes
    }
}
