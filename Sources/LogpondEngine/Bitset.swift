/// A fixed-size set of doc ids; value semantics (copy-on-write through Array).
public struct Bitset: Sendable, Equatable {
    public private(set) var words: [UInt64]
    public let count: Int
    public init(count: Int) { self.count = count; words = [UInt64](repeating: 0, count: (count + 63) / 64) }
    public init(count: Int, words: [UInt64]) { self.count = count; self.words = words }

    @inline(__always) public func contains(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
    @inline(__always) public mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }
    public var cardinality: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// Serialised as sorted varint deltas (deletes are sparse).
    public func serialize() -> [UInt8] {
        var w = ByteWriter()
        w.varint(UInt64(count))
        var last = 0
        for i in 0..<count where contains(i) { w.varint(UInt64(i - last)); last = i }
        return w.bytes
    }
    public static func deserialize(_ bytes: [UInt8], expectedCount: Int) throws -> Bitset {
        try bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            let n = try r.count()
            guard n == expectedCount else { throw ByteReader.Truncated() }
            var b = Bitset(count: n)
            var cur = 0
            while !r.atEnd {
                cur += try r.count()
                guard cur < n else { throw ByteReader.Truncated() }
                b.insert(cur)
            }
            return b
        }
    }
}
