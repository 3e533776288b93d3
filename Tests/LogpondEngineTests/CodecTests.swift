import XCTest
import CSimdJSON
@testable import LogpondEngine

/// Round trips with exact sizes for the small codecs every file format uses.
final class CodecTests: XCTestCase {
    func testVarintSizesAndRoundTrip() throws {
        let cases: [(UInt64, Int)] = [(0, 1), (1, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3), (UInt64(UInt32.max), 5), (UInt64.max, 10)]
        for (v, size) in cases {
            var w = ByteWriter()
            w.varint(v)
            XCTAssertEqual(w.count, size, "varint(\(v))")
            try w.bytes.withUnsafeBytes { buf in
                var r = ByteReader(buf)
                XCTAssertEqual(try r.varint(), v)
                XCTAssertTrue(r.atEnd)
            }
        }
    }

    /// The raw-buffer varint writer (postings' hot loop) writes exactly `ByteWriter.varint`'s
    /// bytes: exact sizes at the length boundaries, and 2,000 random values back to back.
    func testRawVarintWriterAgreesWithByteWriterProperty() {
        let edges: [(UInt32, Int)] = [(0, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3), (2_097_152, 4), (268_435_456, 5), (UInt32.max, 5)]
        var g = SplitMix(seed: 21)
        let values = edges.map(\.0) + (0..<2_000).map { _ in UInt32(truncatingIfNeeded: g.next() >> (g.next() % 64)) }
        var want = ByteWriter()
        var raw = [UInt8](repeating: 0, count: values.count * 5)
        var n = 0
        raw.withUnsafeMutableBufferPointer { buf in
            for (k, v) in values.enumerated() {
                let before = n
                ByteWriter.varint(v, into: buf, at: &n)
                if k < edges.count { XCTAssertEqual(n - before, edges[k].1, "varint(\(v))") }
                want.varint(UInt64(v))
            }
        }
        XCTAssertEqual(Array(raw[0..<n]), want.bytes)
    }

    /// The raw-buffer varint reader agrees with ByteReader and refuses truncated or overlong input.
    func testRawVarintAgreesWithByteReaderProperty() throws {
        var g = SplitMix(seed: 8)
        var w = ByteWriter()
        let values = (0..<500).map { _ in g.next() >> (g.next() % 64) }
        for v in values { w.varint(v) }
        try w.bytes.withUnsafeBytes { buf in
            var at = 0
            var r = ByteReader(buf)
            for v in values {
                XCTAssertEqual(ByteReader.varint(buf, &at), v)
                XCTAssertEqual(try r.varint(), v)
                XCTAssertEqual(at, r.pos)
            }
            XCTAssertNil(ByteReader.varint(buf, &at))
        }
        [UInt8](repeating: 0x80, count: 11).withUnsafeBytes { buf in var at = 0; XCTAssertNil(ByteReader.varint(buf, &at)) }
    }

    /// partitionPoint finds the first index of the true suffix, within any sub-range.
    func testPartitionPointProperty() {
        var g = SplitMix(seed: 6)
        for _ in 0..<300 {
            let a = (0..<Int(g.next() % 50)).map { _ in Int(g.next() % 20) }.sorted()
            let v = Int(g.next() % 22), lo = a.isEmpty ? 0 : Int(g.next() % UInt64(a.count + 1))
            XCTAssertEqual(partitionPoint(lo, a.count) { a[$0] >= v }, a[lo...].firstIndex { $0 >= v } ?? a.count)
        }
    }

    func testZigZagRoundTripProperty() throws {
        var rng = SystemRandomNumberGenerator()
        var values: [Int64] = [0, -1, 1, Int64.min, Int64.max]
        for _ in 0..<2000 { values.append(Int64.random(in: Int64.min...Int64.max, using: &rng) >> Int64.random(in: 0...63)) }
        var w = ByteWriter()
        for v in values { w.svarint(v) }
        try w.bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            for v in values { XCTAssertEqual(try r.svarint(), v) }
            XCTAssertTrue(r.atEnd)
        }
        var small = ByteWriter(); small.svarint(-1); small.svarint(63); small.svarint(-64)
        XCTAssertEqual(small.bytes, [1, 126, 127])
    }

    func testFixedWidthLittleEndian() throws {
        var w = ByteWriter()
        w.u16(0x0102); w.u32(0x0304_0506); w.i64(-2); w.f64(1.5)
        XCTAssertEqual(w.count, 2 + 4 + 8 + 8)
        XCTAssertEqual(Array(w.bytes[0..<6]), [0x02, 0x01, 0x06, 0x05, 0x04, 0x03])
        try w.bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            XCTAssertEqual(try r.u16(), 0x0102); XCTAssertEqual(try r.u32(), 0x0304_0506)
            XCTAssertEqual(try r.i64(), -2); XCTAssertEqual(try r.f64(), 1.5)
        }
    }

    func testReaderRejectsTruncatedInput() throws {
        let bytes: [UInt8] = [0x80, 0x80]   // an unterminated varint
        try bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            XCTAssertThrowsError(try r.varint())
            var r2 = ByteReader(buf)
            XCTAssertThrowsError(try r2.u32())
        }
        let long: [UInt8] = [0x05, 1, 2]   // a length prefix longer than the data
        try long.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            XCTAssertThrowsError(try r.lengthPrefixed(limit: 100))
        }
    }

    func testBitsetSerialisesAsVarintDeltas() throws {
        var b = Bitset(count: 1000)
        for i in [3, 4, 200, 999] { b.insert(i) }
        let bytes = b.serialize()
        // count 1000 (2 bytes) + deltas 3, 1, 196 (2 bytes), 799 (2 bytes)
        XCTAssertEqual(bytes, [0xE8, 0x07, 3, 1, 0xC4, 0x01, 0x9F, 0x06])
        let back = try Bitset.deserialize(bytes, expectedCount: 1000)
        XCTAssertEqual(back, b)
        XCTAssertEqual(back.cardinality, 4)
        XCTAssertThrowsError(try Bitset.deserialize(bytes, expectedCount: 999))
    }

    func testTranslogRecordFrameAndOp() throws {
        let op = TranslogOp(kind: .index, seq: 300, indexUUID: "u1", id: "doc", version: 2, autoID: false, source: Array(#"{"a":1}"#.utf8))
        var w = ByteWriter()
        op.encode(into: &w)
        // kind 1 + seq 2 + uuid 3 + id 4 + version 1 + flags 1 + source 8
        XCTAssertEqual(w.count, 20)
        let framed = Translog.frame(w.bytes)
        XCTAssertEqual(framed.count, 28)
        try w.bytes.withUnsafeBytes { XCTAssertEqual(try TranslogOp.decode($0), op) }
        // Framing in place gives the same bytes, after whatever the buffer already held.
        var inPlace = ByteWriter()
        inPlace.append([7, 7, 7])
        Translog.appendFramed(op, to: &inPlace)
        XCTAssertEqual(inPlace.bytes, [7, 7, 7] + framed)
    }

    func testZstdRoundTripAndSizeCheck() throws {
        let raw = Array(String(repeating: "GET /healthz 200\n", count: 500).utf8)
        let comp = Zstd.compress(raw)
        XCTAssertLessThan(comp.count, raw.count / 20)
        try comp.withUnsafeBytes { XCTAssertEqual(try Zstd.decompress($0, expectedSize: raw.count), raw) }
        try comp.withUnsafeBytes { XCTAssertThrowsError(try Zstd.decompress($0, expectedSize: raw.count - 1)) }
    }

    func testCRC32KnownValue() {
        XCTAssertEqual(Checksum.crc32(Array("123456789".utf8)), 0xCBF4_3926)
    }

    /// The folded CRC-32 equals zlib's on every length around the fold's block sizes, at every
    /// alignment, chained from any running value, and on zlib's check value.
    func testFoldedCRC32EqualsZlib() {
        XCTAssertEqual(Checksum.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        var rng = SplitMix(seed: 7)
        let data = (0..<9000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        data.withUnsafeBytes { all in
            for len in Array(0...300) + [1023, 1024, 1025, 4096 + 13, 8191] {
                for offset in [0, 1, 7] {
                    let b = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + len)])
                    let seed = UInt32(truncatingIfNeeded: rng.next())
                    XCTAssertEqual(Checksum.crc32(b), Checksum.zlibCRC32(b), "len \(len) offset \(offset)")
                    XCTAssertEqual(Checksum.crc32(b, seed: seed), Checksum.zlibCRC32(b, seed: seed), "len \(len) seeded")
                }
            }
            // The fold itself ran (where the CPU has it), so the comparisons above tested it.
            let cpu = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/cpuinfo")).readToEnd()) ?? nil
            if let cpu, String(decoding: cpu, as: UTF8.self).contains(" pclmulqdq") {
                var crc: UInt32 = 0
                XCTAssertEqual(lp_crc32_fold(&crc, all.baseAddress!.assumingMemoryBound(to: UInt8.self), 100), 96)
            }
            // Chaining: the CRC of a whole equals the CRC of its second part from the first's.
            let whole = UnsafeRawBufferPointer(rebasing: all[0..<5000])
            let first = Checksum.crc32(UnsafeRawBufferPointer(rebasing: all[0..<1777]))
            XCTAssertEqual(Checksum.crc32(UnsafeRawBufferPointer(rebasing: all[1777..<5000]), seed: first), Checksum.crc32(whole))
        }
    }
}
