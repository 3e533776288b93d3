/// Format 6's term dictionary section, read in place (docs/format/segment.md "Term dictionary
/// and postings"): entries in blocks of `size` terms, each block's first entry whole (no shared
/// prefix, an absolute postings offset) so a lookup starts at any block, and the blocks'
/// offsets up front for a binary search over their first terms.
enum TermBlocks {
    /// Terms per block: a lookup reads at most this many entries after its binary search.
    static let size = 32
    static let shift = 5

    /// Appends one term's entry; `index` is its ordinal, `previous` the term before it.
    /// Returns whether it started a block (the caller records the entry's offset then).
    static func appendEntry(_ w: inout ByteWriter, index: Int, term: some Collection<UInt8>, previous: [UInt8],
                            docFreq: Int, postings: Int, previousPostings: Int, packed: Bool) -> Bool {
        let first = index & (size - 1) == 0
        var shared = 0
        if !first {
            var a = term.startIndex
            let limit = min(term.count, previous.count)
            while shared < limit && term[a] == previous[shared] { shared += 1; a = term.index(after: a) }
        }
        w.varint(UInt64(shared)); w.varint(UInt64(term.count - shared)); w.append(term.dropFirst(shared))
        w.varint(UInt64(docFreq))
        w.varint(UInt64(first ? postings : postings - previousPostings) << 1 | (packed ? 1 : 0))
        return first
    }

    /// The section: layout, block offsets, entries.
    static func section(entries: [UInt8], blockStarts: [Int], into w: inout ByteWriter) {
        w.u8(1)
        w.varint(UInt64(blockStarts.count))
        for s in blockStarts { w.u64(UInt64(s)) }
        w.append(entries)
    }

    /// Reads entries of a section the dictionary has checked whole (no bounds checks here).
    struct Cursor {
        let base: UnsafePointer<UInt8>
        var at: Int
        var term: [UInt8] = []
        var docFreq = 0
        var postings = 0
        var packed = false

        init(base: UnsafePointer<UInt8>, at: Int) { self.base = base; self.at = at; term.reserveCapacity(64) }

        @inline(__always) private mutating func varint() -> Int {
            var v = 0, shift = 0
            while true {
                let b = base[at]; at += 1
                v |= Int(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
        }

        /// Reads the next entry (`first`: the first of its block).
        @inline(__always) mutating func next(first: Bool) {
            let shared = varint(), n = varint()
            term.removeSubrange(shared...)
            term.append(contentsOf: UnsafeBufferPointer(start: base + at, count: n))
            at += n
            docFreq = varint()
            let d = varint()
            postings = first ? d >> 1 : postings + d >> 1
            packed = d & 1 != 0
        }

        /// The first entry of a block's term, without copying it.
        static func firstTerm(_ base: UnsafePointer<UInt8>, at: Int) -> UnsafeBufferPointer<UInt8> {
            var c = Cursor(base: base, at: at)
            _ = c.varint()
            let n = c.varint()
            return UnsafeBufferPointer(start: base + c.at, count: n)
        }
    }
}
