/// An open-addressing hash of byte strings to dense ids, with the bytes kept in one arena:
/// interning a term costs no allocation once the arena has grown.
struct TermHash {
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int32] = [0]
    /// Open addressing, each slot `hash << 32 | id` (`empty` when free): a probe compares the
    /// hash without touching another array. With ids alone, the load of the slot and then of
    /// the term's hash were two cache misses per token in a big field (a quarter of indexing's
    /// own time on seed-shaped records, issue 17).
    private var table: [UInt64]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(capacity: Int = 64) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        table = [UInt64](repeating: Self.empty, count: n)
        mask = n - 1
    }

    /// 32 bits of a term's bytes, eight at a time (terms are short; a byte-at-a-time FNV
    /// spent a multiply's latency per byte).
    @inline(__always) static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(b.count)
        guard let p = b.baseAddress else { return UInt32(truncatingIfNeeded: h >> 32) }
        let raw = UnsafeRawPointer(p)
        var i = 0
        let n = b.count
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { tail |= UInt64(p[i]) << shift; shift &+= 8; i += 1 }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h)
    }

    /// The bytes of term `id`.
    @inline(__always) func bytes(_ id: Int) -> ArraySlice<UInt8> { arena[Int(starts[id])..<Int(starts[id + 1])] }

    /// The id of `term`, adding it when new.
    @inline(__always) mutating func intern(_ term: UnsafeBufferPointer<UInt8>) -> Int32 {
        let h = Self.hash(term)
        var slot = Int(h) & mask
        let tag = UInt64(h) << 32
        while true {
            let e = table[slot]
            if e == Self.empty { break }
            if e & 0xFFFF_FFFF_0000_0000 == tag {
                let id = Int(UInt32(truncatingIfNeeded: e))
                let s = Int(starts[id]), end = Int(starts[id + 1])
                if end - s == term.count {
                    let equal = arena.withUnsafeBufferPointer { a in
                        term.count == 0 || memcmp(a.baseAddress! + s, term.baseAddress!, term.count) == 0
                    }
                    if equal { return Int32(truncatingIfNeeded: id) }
                }
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(count)
        table[slot] = tag | UInt64(UInt32(bitPattern: id))
        count += 1
        arena.append(contentsOf: term)
        starts.append(Int32(arena.count))
        if count * 2 > table.count { grow() }
        return id
    }

    private mutating func grow() {
        let old = table
        let n = table.count * 2
        table = [UInt64](repeating: Self.empty, count: n)
        mask = n - 1
        for e in old where e != Self.empty {
            var slot = Int(e >> 32) & mask
            while table[slot] != Self.empty { slot = (slot + 1) & mask }
            table[slot] = e
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension TermHash {
    /// Term ids in bytewise order of their terms.
    /// Each term's first eight bytes, big-endian and zero-padded, are compared first: a smaller
    /// key means a smaller term (padding is never above a real byte), so only equal keys need
    /// the bytes compared. With `memcmp` for every comparison, this sort (every field's terms,
    /// at every seal) was 2% of a seed-shaped ingest's CPU.
    func sortedIDs() -> [Int32] {
        var keyed: [(key: UInt64, id: Int32)] = []
        keyed.reserveCapacity(count)
        arena.withUnsafeBufferPointer { a in
            for id in 0..<count {
                let s = Int(starts[id]), e = Int(starts[id + 1])
                var key: UInt64 = 0
                for k in 0..<8 { key = key << 8 | UInt64(s + k < e ? a[s + k] : 0) }
                keyed.append((key, Int32(id)))
            }
            let base = a.baseAddress
            keyed.sort { x, y in
                if x.key != y.key { return x.key < y.key }
                let xs = Int(starts[Int(x.id)]), xe = Int(starts[Int(x.id) + 1]), ys = Int(starts[Int(y.id)]), ye = Int(starts[Int(y.id) + 1])
                let n = min(xe - xs, ye - ys)
                if n > 0, let b = base {
                    let c = memcmp(b + xs, b + ys, n)
                    if c != 0 { return c < 0 }
                }
                return xe - xs < ye - ys
            }
        }
        return keyed.map(\.id)
    }
}
