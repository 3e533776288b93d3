import Foundation

/// Reading a term's positions for chosen documents (phrases): by jumping to recorded offsets
/// when the list is in `PostingsCache`, by walking the list otherwise.
extension TermDictionary {
    /// The positions the term has in each of `candidates` (ascending doc ids), as one flat
    /// array: those of `candidates[c]` are `flat[starts[c]..<starts[c + 1]]`. The positions of
    /// other documents are skipped without being stored.
    public func positions(_ p: TermPostings, of candidates: [Int32]) throws -> (starts: [Int32], flat: [Int32]) {
        guard hasPositions else { return ([Int32](repeating: 0, count: candidates.count + 1), []) }
        do {
            if let e = p.cached {
                let docStarts = try indexedPositions(p, e)
                if let plain = p.plain { return try plain.withUnsafeBytes { try jump(ByteReader($0, at: p.positionsAt), p.docs, docStarts, candidates) } }
                return try jump(ByteReader(postings, at: p.positionsAt), p.docs, docStarts, candidates)
            }
            if let plain = p.plain { return try plain.withUnsafeBytes { try walk(ByteReader($0, at: p.positionsAt), p.docs, candidates) } }
            return try walk(ByteReader(postings, at: p.positionsAt), p.docs, candidates)
        } catch { throw EngineError.corruptFile(path: label, reason: "postings list is malformed") }
    }

    /// Where each document's entry starts in a cached list's per-document part, found by one
    /// walk the first time a phrase needs the list's positions and kept with it.
    private func indexedPositions(_ p: TermPostings, _ e: PostingsCache.Entry) throws -> [Int32] {
        if let s = e.docStarts { return s }
        func index(_ r: ByteReader) throws -> [Int32] {
            let buf = r.base
            let end = buf.count
            var at = r.pos
            var out = [Int32](repeating: 0, count: p.docs.count + 1)
            for k in p.docs.indices {
                out[k] = Int32(at - r.pos)
                guard let fv = ByteReader.varint(buf, &at), fv > 0, fv < 1 << 24 else { throw ByteReader.Truncated() }
                var left = Int(fv)
                while left > 0 {
                    guard at < end else { throw ByteReader.Truncated() }
                    if buf[at] < 0x80 { left -= 1 }
                    at += 1
                }
            }
            out[p.docs.count] = Int32(at - r.pos)
            return out
        }
        let starts = try p.plain.map { pl in try pl.withUnsafeBytes { try index(ByteReader($0, at: p.positionsAt)) } }
            ?? index(ByteReader(postings, at: p.positionsAt))
        PostingsCache.shared.put(dict: cacheKey, ord: p.ord, .init(plain: e.plain, docs: e.docs, positionsAt: e.positionsAt, docStarts: starts))
        return starts
    }

    /// Positions of `candidates` read at their documents' recorded offsets.
    private func jump(_ r: ByteReader, _ docs: [Int32], _ docStarts: [Int32], _ candidates: [Int32]) throws -> (starts: [Int32], flat: [Int32]) {
        var starts = [Int32](repeating: 0, count: candidates.count + 1)
        var flat: [Int32] = []
        flat.reserveCapacity(candidates.count * 2)
        let buf = r.base
        var k = 0
        for (c, d) in candidates.enumerated() {
            // Candidates ascend, so the search for each starts where the last one ended.
            k = gallop(docs, d, from: k)
            if k < docs.count && docs[k] == d {
                var at = r.pos + Int(docStarts[k])
                guard let fv = ByteReader.varint(buf, &at), fv > 0, fv < 1 << 24 else { throw ByteReader.Truncated() }
                var q: UInt64 = 0
                for _ in 0..<Int(fv) {
                    guard let v = ByteReader.varint(buf, &at) else { throw ByteReader.Truncated() }
                    q &+= v
                    flat.append(Int32(truncatingIfNeeded: q))
                }
            }
            starts[c + 1] = Int32(flat.count)
        }
        return (starts, flat)
    }

    /// The first index at or after `from` whose doc id is >= `d` (steps doubling, then halving).
    private func gallop(_ docs: [Int32], _ d: Int32, from: Int) -> Int {
        var lo = from, step = 1
        var hi = from
        while hi < docs.count && docs[hi] < d { lo = hi + 1; hi += step; step <<= 1 }
        hi = min(hi, docs.count)
        while lo < hi { let mid = (lo + hi) / 2; if docs[mid] < d { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    /// Positions of `candidates` found by walking every document's entry (lists not cached).
    private func walk(_ r: ByteReader, _ docList: [Int32], _ candidates: [Int32]) throws -> (starts: [Int32], flat: [Int32]) {
        var starts = [Int32](repeating: 0, count: candidates.count + 1)
        var flat: [Int32] = []
        flat.reserveCapacity(candidates.count * 2)
        let buf = r.base
        let end = buf.count
        var at = r.pos
        @inline(__always) func varint() throws -> UInt64 {
            guard let v = ByteReader.varint(buf, &at) else { throw ByteReader.Truncated() }
            return v
        }
        var c = 0
        try docList.withUnsafeBufferPointer { docs in
            try candidates.withUnsafeBufferPointer { cands in
                for d in docs {
                    let f = Int(try varint())
                    guard f > 0, f < 1 << 24 else { throw ByteReader.Truncated() }
                    while c < cands.count && cands[c] < d { c += 1; starts[c] = Int32(flat.count) }
                    if c == cands.count { break }
                    if cands[c] == d {
                        var q: UInt64 = 0
                        for _ in 0..<f { q &+= try varint(); flat.append(Int32(truncatingIfNeeded: q)) }
                    } else {
                        // Skipping: a varint ends at each byte below 0x80; count f of them.
                        var left = f
                        while left > 0 {
                            guard at < end else { throw ByteReader.Truncated() }
                            if buf[at] < 0x80 { left -= 1 }
                            at += 1
                        }
                    }
                }
            }
        }
        while c < candidates.count { c += 1; starts[c] = Int32(flat.count) }
        return (starts, flat)
    }
}
