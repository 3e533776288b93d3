/// An open-addressing hash of byte strings to dense ids, with the bytes kept in one arena:
/// interning a term costs no allocation once the arena has grown.
struct TermHash {
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int32] = [0]
    private var hashes: [UInt32] = []
    private var table: [Int32]
    private var mask: Int

    init(capacity: Int = 64) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        table = [Int32](repeating: -1, count: n)
        mask = n - 1
    }

    var count: Int { hashes.count }

    @inline(__always) static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt32 {
        // FNV-1a, 32-bit: short terms dominate, and it needs no setup.
        var h: UInt32 = 2_166_136_261
        for c in b { h = (h ^ UInt32(c)) &* 16_777_619 }
        return h
    }

    /// The bytes of term `id`.
    @inline(__always) func bytes(_ id: Int) -> ArraySlice<UInt8> { arena[Int(starts[id])..<Int(starts[id + 1])] }

    /// The id of `term`, adding it when new.
    @inline(__always) mutating func intern(_ term: UnsafeBufferPointer<UInt8>) -> Int32 {
        let h = Self.hash(term)
        var slot = Int(h) & mask
        while true {
            let id = table[slot]
            if id < 0 { break }
            if hashes[Int(id)] == h {
                let s = Int(starts[Int(id)]), e = Int(starts[Int(id) + 1])
                if e - s == term.count {
                    let equal = arena.withUnsafeBufferPointer { a in
                        term.count == 0 || memcmp(a.baseAddress! + s, term.baseAddress!, term.count) == 0
                    }
                    if equal { return id }
                }
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(hashes.count)
        table[slot] = id
        hashes.append(h)
        arena.append(contentsOf: term)
        starts.append(Int32(arena.count))
        if hashes.count * 2 > table.count { grow() }
        return id
    }

    private mutating func grow() {
        let n = table.count * 2
        table = [Int32](repeating: -1, count: n)
        mask = n - 1
        for (id, h) in hashes.enumerated() {
            var slot = Int(h) & mask
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(id)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension TermHash {
    /// Term ids in bytewise order of their terms.
    func sortedIDs() -> [Int32] {
        var ids = (0..<Int32(count)).map { $0 }
        arena.withUnsafeBufferPointer { a in
            let base = a.baseAddress
            ids.sort { x, y in
                let xs = Int(starts[Int(x)]), xe = Int(starts[Int(x) + 1]), ys = Int(starts[Int(y)]), ye = Int(starts[Int(y) + 1])
                let n = min(xe - xs, ye - ys)
                if n > 0, let b = base {
                    let c = memcmp(b + xs, b + ys, n)
                    if c != 0 { return c < 0 }
                }
                return xe - xs < ye - ys
            }
        }
        return ids
    }
}
