import Foundation

/// A MessagePack value, as the Fluent Forward protocol carries them.
public indirect enum MPValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case str([UInt8])
    case bin([UInt8])
    case array([MPValue])
    case map([(MPValue, MPValue)])
    case ext(Int8, [UInt8])

    public static func == (a: MPValue, b: MPValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.uint(let x), .uint(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.str(let x), .str(let y)), (.bin(let x), .bin(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.map(let x), .map(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.ext(let t, let x), .ext(let u, let y)): return t == u && x == y
        default: return false
        }
    }

    /// The text of a `str` (or `bin`), decoded as UTF-8 with replacement characters.
    public var string: String? {
        switch self {
        case .str(let b), .bin(let b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }

    /// A map's value for a string key.
    public subscript(key: String) -> MPValue? {
        guard case .map(let m) = self else { return nil }
        return m.first { $0.0.string == key }?.1
    }
}

/// MessagePack reading and writing: a framing scan that finds where a value ends without
/// building it (a loop that moves forward on every step, with a depth limit), a decoder, and
/// the few encodings the protocol's answers need.
public enum MessagePack {
    /// Why bytes are not a MessagePack value Logpond takes.
    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
    }

    /// How many bytes the value at `start` takes; nil when the buffer ends first. Throws on a
    /// byte no value starts with, nesting past `maxDepth` or lengths past `maxBytes`.
    public static func length(_ b: UnsafeRawBufferPointer, from start: Int = 0, maxDepth: Int, maxBytes: Int) throws -> Int? {
        var scan = LengthScan(start: start)
        return try scan.advance(b, maxDepth: maxDepth, maxBytes: maxBytes)
    }

    /// A framing scan that can stop where the bytes run out and go on from there when more
    /// arrive: rescanning a growing message from its start on every network read cost time
    /// quadratic in its size (a 100 MB array of one-byte values: minutes of CPU).
    public struct LengthScan: Sendable {
        let start: Int
        /// Where the next value begins.
        var i: Int
        /// Values still to skip, per open container level.
        var pending: [Int] = [1]
        public init(start: Int = 0) { self.start = start; i = start }

        /// The value's length once `b` holds all of it, else nil (call again with the same
        /// bytes and more after them). Every value read moves `i` forward, so the loop ends.
        public mutating func advance(_ b: UnsafeRawBufferPointer, maxDepth: Int, maxBytes: Int) throws -> Int? {
            while let top = pending.last {
                if top == 0 { pending.removeLast(); continue }
                guard i < b.count else { return nil }
                let t = b[i]
                var body = 0, children = 0, head = 0
                func need(_ n: Int) -> Bool { i + n < b.count }
                func be(_ n: Int) -> Int { var v = 0; for k in 0..<n { v = v << 8 | Int(b[i + 1 + k]) }; return v }
                switch t {
                case 0x00...0x7f, 0xe0...0xff, 0xc0, 0xc2, 0xc3: head = 1
                case 0x80...0x8f: children = Int(t & 0x0f) * 2; head = 1
                case 0x90...0x9f: children = Int(t & 0x0f); head = 1
                case 0xa0...0xbf: body = Int(t & 0x1f); head = 1
                case 0xcc, 0xd0: head = 2
                case 0xcd, 0xd1: head = 3
                case 0xce, 0xd2, 0xca: head = 5
                case 0xcf, 0xd3, 0xcb: head = 9
                case 0xd4: head = 3
                case 0xd5: head = 4
                case 0xd6: head = 6
                case 0xd7: head = 10
                case 0xd8: head = 18
                case 0xc4, 0xd9: guard need(1) else { return nil }; body = be(1); head = 2
                case 0xc5, 0xda: guard need(2) else { return nil }; body = be(2); head = 3
                case 0xc6, 0xdb: guard need(4) else { return nil }; body = be(4); head = 5
                case 0xc7: guard need(1) else { return nil }; body = be(1) + 1; head = 2
                case 0xc8: guard need(2) else { return nil }; body = be(2) + 1; head = 3
                case 0xc9: guard need(4) else { return nil }; body = be(4) + 1; head = 5
                case 0xdc: guard need(2) else { return nil }; children = be(2); head = 3
                case 0xdd: guard need(4) else { return nil }; children = be(4); head = 5
                case 0xde: guard need(2) else { return nil }; children = be(2) * 2; head = 3
                case 0xdf: guard need(4) else { return nil }; children = be(4) * 2; head = 5
                default: throw Malformed(description: "byte 0x\(String(t, radix: 16)) at \(i) starts no MessagePack value")
                }
                guard body <= maxBytes, i + head - start <= maxBytes - body else { throw Malformed(description: "a message is larger than \(maxBytes) bytes") }
                // A scalar or string not all here yet is read again once more bytes come.
                guard i + head + body <= b.count else { return nil }
                if children > 0 {
                    guard pending.count < maxDepth else { throw Malformed(description: "values nest deeper than \(maxDepth) levels") }
                    guard children <= maxBytes else { throw Malformed(description: "a container claims \(children) elements") }
                }
                // Consumed: only now does the state move, so a return above leaves it at this value.
                i += head + body
                pending[pending.count - 1] = top - 1
                if children > 0 { pending.append(children) }
            }
            return i - start
        }
    }

    /// Decodes one value; the caller framed it with `length`, so running out is malformed.
    public static func decode(_ b: UnsafeRawBufferPointer, at i: inout Int, depth: Int = 0, maxDepth: Int) throws -> MPValue {
        func bad(_ why: String) -> Malformed { Malformed(description: why) }
        guard depth <= maxDepth else { throw bad("values nest deeper than \(maxDepth) levels") }
        guard i < b.count else { throw bad("a value is cut short") }
        func take(_ n: Int) throws -> [UInt8] {
            guard n >= 0, n <= b.count - i else { throw bad("a value is cut short") }
            defer { i += n }
            return Array(b[i..<(i + n)])
        }
        func uint(_ n: Int) throws -> UInt64 { try take(n).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        let t = b[i]; i += 1
        switch t {
        case 0x00...0x7f: return .int(Int64(t))
        case 0xe0...0xff: return .int(Int64(Int8(bitPattern: t)))
        case 0xc0: return .null
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0x80...0x8f: return try map(Int(t & 0x0f))
        case 0x90...0x9f: return try array(Int(t & 0x0f))
        case 0xa0...0xbf: return .str(try take(Int(t & 0x1f)))
        case 0xcc: return .uint(try uint(1))
        case 0xcd: return .uint(try uint(2))
        case 0xce: return .uint(try uint(4))
        case 0xcf: return .uint(try uint(8))
        case 0xd0: return .int(Int64(Int8(truncatingIfNeeded: try uint(1))))
        case 0xd1: return .int(Int64(Int16(truncatingIfNeeded: try uint(2))))
        case 0xd2: return .int(Int64(Int32(truncatingIfNeeded: try uint(4))))
        case 0xd3: return .int(Int64(bitPattern: try uint(8)))
        case 0xca: return .double(Double(Float(bitPattern: UInt32(try uint(4)))))
        case 0xcb: return .double(Double(bitPattern: try uint(8)))
        case 0xd9: return .str(try take(Int(try uint(1))))
        case 0xda: return .str(try take(Int(try uint(2))))
        case 0xdb: return .str(try take(Int(try uint(4))))
        case 0xc4: return .bin(try take(Int(try uint(1))))
        case 0xc5: return .bin(try take(Int(try uint(2))))
        case 0xc6: return .bin(try take(Int(try uint(4))))
        case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
            let n = 1 << Int(t - 0xd4)
            let type = Int8(bitPattern: try take(1)[0])
            return .ext(type, try take(n))
        case 0xc7, 0xc8, 0xc9:
            let n = Int(try uint(t == 0xc7 ? 1 : t == 0xc8 ? 2 : 4))
            let type = Int8(bitPattern: try take(1)[0])
            return .ext(type, try take(n))
        case 0xdc: return try array(Int(try uint(2)))
        case 0xdd: return try array(Int(try uint(4)))
        case 0xde: return try map(Int(try uint(2)))
        case 0xdf: return try map(Int(try uint(4)))
        default: throw bad("byte 0x\(String(t, radix: 16)) starts no MessagePack value")
        }
        func array(_ n: Int) throws -> MPValue {
            // Each element takes at least a byte: a count past what is left is malformed.
            guard n <= b.count - i else { throw bad("an array claims more elements than bytes left") }
            var out: [MPValue] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try decode(b, at: &i, depth: depth + 1, maxDepth: maxDepth)) }
            return .array(out)
        }
        func map(_ n: Int) throws -> MPValue {
            guard n <= (b.count - i) / 2 else { throw bad("a map claims more entries than bytes left") }
            var out: [(MPValue, MPValue)] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                let k = try decode(b, at: &i, depth: depth + 1, maxDepth: maxDepth)
                out.append((k, try decode(b, at: &i, depth: depth + 1, maxDepth: maxDepth)))
            }
            return .map(out)
        }
    }

    /// Encodes the values the server sends: maps, arrays, strings, booleans, bin.
    public static func encode(_ v: MPValue, into out: inout [UInt8]) {
        func header(_ n: Int, fix: UInt8, fixMax: Int, _ c16: UInt8, _ c32: UInt8) {
            if n <= fixMax { out.append(fix | UInt8(n)) }
            else if n <= 0xffff { out.append(c16); out.append(UInt8(n >> 8)); out.append(UInt8(n & 0xff)) }
            else { out.append(c32); for s in [24, 16, 8, 0] { out.append(UInt8((n >> s) & 0xff)) } }
        }
        switch v {
        case .null: out.append(0xc0)
        case .bool(let b): out.append(b ? 0xc3 : 0xc2)
        case .int(let n) where n >= 0 && n < 128: out.append(UInt8(n))
        case .int(let n): out.append(0xd3); for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(bitPattern: n) >> UInt64(s)) & 0xff)) }
        case .uint(let n): out.append(0xcf); for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8((n >> UInt64(s)) & 0xff)) }
        case .double(let d): out.append(0xcb); for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8((d.bitPattern >> UInt64(s)) & 0xff)) }
        case .str(let s):
            if s.count <= 31 { out.append(0xa0 | UInt8(s.count)) } else if s.count <= 0xff { out.append(0xd9); out.append(UInt8(s.count)) }
            else { header(s.count, fix: 0, fixMax: -1, 0xda, 0xdb) }
            out.append(contentsOf: s)
        case .bin(let s):
            if s.count <= 0xff { out.append(0xc4); out.append(UInt8(s.count)) } else { header(s.count, fix: 0, fixMax: -1, 0xc5, 0xc6) }
            out.append(contentsOf: s)
        case .array(let a): header(a.count, fix: 0x90, fixMax: 15, 0xdc, 0xdd); for x in a { encode(x, into: &out) }
        case .map(let m): header(m.count, fix: 0x80, fixMax: 15, 0xde, 0xdf); for (k, x) in m { encode(k, into: &out); encode(x, into: &out) }
        case .ext(let t, let d): out.append(0xc7); out.append(UInt8(d.count & 0xff)); out.append(UInt8(bitPattern: t)); out.append(contentsOf: d)
        }
    }
}
