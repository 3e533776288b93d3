import XCTest
@testable import LogpondForward
import LogpondEngine

/// The Forward input's MessagePack codec: exact encodings, random values round trips, every
/// truncation found incomplete (never a trap), and Forward messages in each mode.
final class MessagePackTests: XCTestCase {
    func enc(_ v: MPValue) -> [UInt8] { var o: [UInt8] = []; MessagePack.encode(v, into: &o); return o }
    func dec(_ b: [UInt8]) throws -> MPValue { try b.withUnsafeBytes { var i = 0; return try MessagePack.decode($0, at: &i, maxDepth: 100) } }
    func len(_ b: [UInt8]) throws -> Int? { try b.withUnsafeBytes { try MessagePack.length($0, maxDepth: 100, maxBytes: 1 << 20) } }

    func testExactEncodings() throws {
        XCTAssertEqual(enc(.map([(.str(Array("ack".utf8)), .str(Array("c1".utf8)))])), [0x81, 0xa3, 0x61, 0x63, 0x6b, 0xa2, 0x63, 0x31])
        XCTAssertEqual(enc(.array([.bool(true), .null, .int(5)])), [0x93, 0xc3, 0xc0, 0x05])
        XCTAssertEqual(enc(.bin([1, 2])), [0xc4, 0x02, 0x01, 0x02])
        XCTAssertEqual(enc(.str([UInt8](repeating: 0x61, count: 40))).count, 2 + 40)
        XCTAssertEqual(enc(.array(Array(repeating: .null, count: 16))).count, 3 + 16)
        // Decoding the forms other encoders use: negative fixint, int8/16/32, float32, fixext 8.
        XCTAssertEqual(try dec([0xff]), .int(-1))
        XCTAssertEqual(try dec([0xd0, 0x80]), .int(-128))
        XCTAssertEqual(try dec([0xd1, 0xff, 0x00]), .int(-256))
        XCTAssertEqual(try dec([0xce, 0x00, 0x01, 0x00, 0x00]), .uint(65536))
        XCTAssertEqual(try dec([0xca, 0x3f, 0x80, 0x00, 0x00]), .double(1.0))
        XCTAssertEqual(try dec([0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 2]), .ext(0, [0, 0, 0, 1, 0, 0, 0, 2]))
        XCTAssertEqual(try len([0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 2, 0x01]), 10)
    }

    func random(_ depth: Int, _ rng: inout SystemRandomNumberGenerator) -> MPValue {
        switch Int.random(in: 0..<(depth > 3 ? 8 : 10), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: -1_000_000...1_000_000, using: &rng))
        case 3: return .uint(UInt64.random(in: 0...UInt64.max, using: &rng))
        case 4: return .double(Double.random(in: -1e6...1e6, using: &rng))
        case 5: return .str((0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0x20...0x7e, using: &rng) })
        case 6: return .bin((0..<Int.random(in: 0...(depth == 0 ? 70000 : 300), using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case 7: return .ext(Int8.random(in: -5...5, using: &rng), (0..<Int.random(in: 0...20, using: &rng)).map { _ in 7 })
        case 8: return .array((0..<Int.random(in: 0...20, using: &rng)).map { _ in random(depth + 1, &rng) })
        default: return .map((0..<Int.random(in: 0...20, using: &rng)).map { _ in (random(depth + 1, &rng), random(depth + 1, &rng)) })
        }
    }

    func testRandomRoundTripsAndTruncations() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let v = random(0, &rng)
            let b = enc(v)
            XCTAssertEqual(try len(b), b.count)
            XCTAssertEqual(try dec(b), v)
            // Any cut is incomplete to the framer and malformed to the decoder, never a trap.
            for cut in Set((0..<min(b.count, 40)).map { _ in Int.random(in: 0..<b.count, using: &rng) }) {
                let part = Array(b[0..<cut])
                XCTAssertNil(try len(part))
                XCTAssertThrowsError(try dec(part))
            }
        }
    }

    /// The scan the server keeps per connection: fed a value in random pieces, it says
    /// "not yet" until the last byte and then the one-shot length, and each piece is scanned
    /// once (a million-element array in 64 KB reads takes a few passes' time, not quadratic).
    func testResumableScanAgreesWithOneShot() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let b = enc(random(0, &rng)) + [0x01, 0x02]    // the next message's first bytes follow
            let whole = b.count - 2
            var scan = MessagePack.LengthScan()
            var have = 0, found: Int? = nil
            while found == nil {
                have = min(b.count, have + Int.random(in: 1...max(1, whole / 3 + 1), using: &rng))
                found = try Array(b[0..<have]).withUnsafeBytes { try scan.advance($0, maxDepth: 100, maxBytes: 1 << 20) }
                if have < whole { XCTAssertNil(found) }
                if found == nil { XCTAssertLessThan(have, b.count) }
            }
            XCTAssertEqual(found, whole)
        }
        // One element more than a piece holds at a time: still found, and the scan never rereads.
        let n = 1_000_000
        let big = [0xdd] + withUnsafeBytes(of: UInt32(n).bigEndian, Array.init) + [UInt8](repeating: 1, count: n)
        var scan = MessagePack.LengthScan()
        var answer: Int? = nil
        big.withUnsafeBytes { all in
            for end in stride(from: 65_536, through: big.count + 65_535, by: 65_536) where answer == nil {
                answer = try? scan.advance(UnsafeRawBufferPointer(rebasing: all[0..<min(end, all.count)]), maxDepth: 100, maxBytes: 1 << 21)
                if answer == nil { XCTAssertEqual(scan.i, min(end, all.count)) }
            }
        }
        XCTAssertEqual(answer, big.count)
    }

    func testLimits() {
        let deep = [UInt8](repeating: 0x91, count: 200) + [0x00]
        XCTAssertThrowsError(try len(deep))
        XCTAssertThrowsError(try dec(deep))
        XCTAssertThrowsError(try len([0xc6, 0xff, 0xff, 0xff, 0xff]), "4 GB claimed: over the limit before any is read")
        XCTAssertThrowsError(try dec([0xdd, 0xff, 0xff, 0xff, 0xff]), "an array claiming more elements than bytes")
        XCTAssertThrowsError(try len([0xc1]))
    }

    func testForwardModes() throws {
        let rec = MPValue.map([(.str(Array("a".utf8)), .int(1))])
        let et = MPValue.ext(0, [0x69, 0x30, 0xcf, 0x00, 0x00, 0x00, 0x00, 0x07])   // 2025-12-04T00:00:00Z + 7 ns
        let tag = MPValue.str(Array("t".utf8))
        let chunk = MPValue.map([(.str(Array("chunk".utf8)), .str(Array("c".utf8)))])
        let message = try ForwardMessage.interpret(.array([tag, .int(1_764_806_400), rec]), maxDepth: 100, maxBytes: 1 << 20)
        XCTAssertEqual(message.events.first?.nanos, 1_764_806_400_000_000_000)
        XCTAssertNil(message.chunk)
        let forward = try ForwardMessage.interpret(.array([tag, .array([.array([et, rec]), .array([.array([et, .map([])]), rec])]), chunk]), maxDepth: 100, maxBytes: 1 << 20)
        XCTAssertEqual(forward.events.map { $0.nanos }, [1_764_806_400_000_000_007, 1_764_806_400_000_000_007])
        XCTAssertEqual(forward.chunk, "c")
        let packed = enc(.array([et, rec])) + enc(.array([.int(5), rec]))
        let pf = try ForwardMessage.interpret(.array([tag, .bin(packed), chunk]), maxDepth: 100, maxBytes: 1 << 20)
        XCTAssertEqual(pf.events.map { $0.nanos }, [1_764_806_400_000_000_007, 5_000_000_000])
        XCTAssertEqual(String(decoding: ForwardDocument.source(rec, nanos: 1_764_806_400_000_000_007, tag: "t") ?? [], as: UTF8.self),
                       #"{"@timestamp":"2025-12-04T00:00:00.000Z","a":1,"tag":"t"}"#)
        XCTAssertEqual(ForwardDocument.index(prefix: "logstash", nanos: 1_764_806_400_000_000_007), "logstash-2025.12.04")
        for bad: MPValue in [.map([]), .array([tag]), .array([tag, .str(Array("x".utf8))]), .array([tag, .int(-1), rec]),
                             .array([tag, .array([.int(1)])]), .array([tag, .ext(0, [0, 0, 0, 1, 0x3b, 0x9a, 0xca, 0x00]), rec])] {
            XCTAssertThrowsError(try ForwardMessage.interpret(bad, maxDepth: 100, maxBytes: 1 << 20), "\(bad)")
        }
    }

    /// Event times past what nanoseconds in an Int64 hold (2262) are refused, never wrapped: a
    /// float of 2.8e11 seconds once trapped the fuzz target (corpus regress-event-time-overflow).
    func testEventTimesAtTheEdge() throws {
        let last = Limits.maxForwardEventSeconds
        XCTAssertEqual(try ForwardMessage.time(.int(last)), last * 1_000_000_000)
        // A double holds about 16 digits: within a microsecond of the second is all it can say.
        XCTAssertLessThan(abs(try ForwardMessage.time(.double(Double(last))) - last * 1_000_000_000), 1_000)
        // EventTime's seconds are 32 bits: its latest (2106) is well inside the limit.
        let lastET = MPValue.ext(0, [0xff, 0xff, 0xff, 0xff, 0x3b, 0x9a, 0xc9, 0xff])
        XCTAssertEqual(try ForwardMessage.time(lastET), 4_294_967_295 * 1_000_000_000 + 999_999_999)
        let bad: [MPValue] = [.int(last + 1), .uint(UInt64(last) + 1), .double(2.8e11), .double(Double(last) + 2), .int(253_402_300_799),
                              .double(.infinity), .double(-1), .ext(0, [0, 0, 0, 0, 0x3b, 0x9a, 0xca, 0x00])]
        for bad in bad {
            XCTAssertThrowsError(try ForwardMessage.time(bad), "\(bad)")
        }
    }
}
