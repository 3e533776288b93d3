/// An append-only array kept in fixed chunks: growing never copies what is there and never
/// leaves more than one chunk unused. Write buffers keep their term occurrences in these: a
/// doubling array left up to half of its capacity empty and held old and new storage at once
/// at every growth, on the ingest path's largest arrays.
///
/// A class over raw chunks, not a struct of arrays: appending through an array of arrays
/// checked both arrays' uniqueness and capacity per element (issue 17). Elements are plain
/// bytes (`BitwiseCopyable`), so chunks are freed without deinitialising them.
final class ChunkedArray<Element: BitwiseCopyable> {
    /// 4,096 elements: a write buffer holds about 10,000 documents, so each keyword field's
    /// last chunk was mostly empty at 16,384 (in-process, 30,000 records in three buffers:
    /// heap peak 97.6 → 93.1 MB, indexing speed unchanged at 4.32 µs per document).
    static var chunkShift: Int { 12 }
    static var chunkSize: Int { 1 << chunkShift }
    private var chunks: [UnsafeMutablePointer<Element>] = []
    /// The last chunk (nil before the first append).
    private var tail: UnsafeMutablePointer<Element>? = nil
    private(set) var count = 0
    var isEmpty: Bool { count == 0 }
    /// Chunks allocated (tests).
    var chunkCount: Int { chunks.count }

    init() {}
    deinit { for c in chunks { c.deallocate() } }

    private func grow() {
        let c = UnsafeMutablePointer<Element>.allocate(capacity: Self.chunkSize)
        chunks.append(c)
        tail = c
    }

    @inline(__always) func append(_ e: Element) {
        let at = count & (Self.chunkSize - 1)
        if at == 0 { grow() }
        tail.unsafelyUnwrapped[at] = e
        count += 1
    }

    /// Appends `n` elements, `make(0)` to `make(n - 1)`.
    @inline(__always) func append(_ n: Int, _ make: (Int) -> Element) {
        var done = 0
        while done < n {
            let at = count & (Self.chunkSize - 1)
            if at == 0 { grow() }
            // At least one: the chunk has room (a full one was just followed by an empty one).
            let k = min(n - done, Self.chunkSize - at)
            let p = tail.unsafelyUnwrapped + at
            for i in 0..<k { p[i] = make(done + i) }
            done += k
            count += k
        }
    }

    @inline(__always) subscript(i: Int) -> Element {
        // Callers index below a `count` they read; nothing from a request reaches `i`.
        precondition(i >= 0 && i < count, "ChunkedArray index out of range")
        return chunks[i >> Self.chunkShift][i & (Self.chunkSize - 1)]
    }

    /// The elements in one contiguous array (hot loops index it without the chunk lookup).
    func flattened() -> [Element] {
        var out: [Element] = []
        out.reserveCapacity(count)
        forEachChunk { out.append(contentsOf: $0) }
        return out
    }

    /// Calls `body(index, element)` in order.
    @inline(__always) func forEach(_ body: (Int, Element) -> Void) {
        var i = 0
        forEachChunk { for e in $0 { body(i, e); i += 1 } }
    }

    /// Each chunk's filled part, in order.
    @inline(__always) private func forEachChunk(_ body: (UnsafeBufferPointer<Element>) -> Void) {
        for (k, c) in chunks.enumerated() {
            body(UnsafeBufferPointer(start: c, count: min(Self.chunkSize, count - k * Self.chunkSize)))
        }
    }
}
