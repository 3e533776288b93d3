import XCTest
@testable import LogpondEngine
@testable import LogpondQuery

final class DateParserTests: XCTestCase {
    func testISOForms() {
        XCTAssertEqual(DateParser.parseISO("1970-01-01"), 0)
        XCTAssertEqual(DateParser.parseISO("2024-01-15T10:00:00Z"), 1_705_312_800_000)
        XCTAssertEqual(DateParser.parseISO("2024-01-15T10:00:00.123Z"), 1_705_312_800_123)
        XCTAssertEqual(DateParser.parseISO("2024-01-15T10:00:00.123456789Z"), 1_705_312_800_123)
        XCTAssertEqual(DateParser.parseISO("2024-01-15T10:00:00.123456+00:00"), 1_705_312_800_123)
        XCTAssertEqual(DateParser.parseISO("2024-01-15T12:00:00+02:00"), 1_705_312_800_000)
        XCTAssertEqual(DateParser.parseISO("2024-01-15T05:00:00-0500"), 1_705_312_800_000)
        XCTAssertEqual(DateParser.parseISO("2024-01-15T10:00"), 1_705_312_800_000)
        XCTAssertEqual(DateParser.parseISO("2018-02-04T01:17:27.349642941Z"), 1_517_707_047_349)
        XCTAssertEqual(DateParser.parseISO("2000-02-29"), 951_782_400_000)
    }

    /// Formatting and flooring never trap, whatever Int64 a stored value holds.
    func testExtremesDoNotTrap() {
        XCTAssertEqual(DateFormats.floorDiv(Int64.min, 1000), Int64.min / 1000 - 1)
        XCTAssertEqual(DateFormats.floorDiv(-1, 1000), -1)
        XCTAssertEqual(DateFormats.floorDiv(-1000, 1000), -1)
        XCTAssertEqual(DateFormats.floorDiv(-1001, 1000), -2)
        XCTAssertEqual(DateFormats.floorDiv(1999, 1000), 1)
        XCTAssertEqual(DateFormats.floorMod(-1, 1000), 999)
        XCTAssertEqual(DateParser.format(millis: -1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(DateParser.format(millis: 253_402_300_799_999), "9999-12-31T23:59:59.999Z")
        for v in [Int64.min, Int64.min + 1, Int64.max, Int64.max - 86_400_000] {
            XCTAssertFalse(DateParser.format(millis: v).isEmpty)
        }
    }

    func testRejects() {
        for s in ["2024-13-01", "2024-02-30", "2023-02-29", "2024-01-15T25:00:00Z", "hello world", "2024/01/15", "2024-01-15Tfoo", "1130764677", "2024-01-15T10:00:00.Z"] {
            XCTAssertNil(DateParser.parseISO(s), s)
        }
    }

    func testFormatRoundTripProperty() {
        for _ in 0..<2000 {
            let ms = Int64.random(in: -2_000_000_000_000...4_000_000_000_000)
            XCTAssertEqual(DateParser.parseISO(DateParser.format(millis: ms)), ms)
        }
        XCTAssertEqual(DateParser.format(millis: 1_705_312_800_123), "2024-01-15T10:00:00.123Z")
        XCTAssertEqual(DateParser.format(millis: -1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(DateParser.format(millis: 253_402_300_800_000), "10000-01-01T00:00:00.000Z")
        XCTAssertEqual(DateParser.format(millis: -62_135_596_800_000), "0001-01-01T00:00:00.000Z")
    }

    /// The four-digit-year layout (written on the stack in one append) and the general one
    /// agree at their border and elsewhere, quoted or not.
    func testFixedWidthDatesMatchTheGeneralFormProperty() {
        let year0: Int64 = -62_167_219_200_000
        XCTAssertEqual(DateParser.format(millis: year0), "0000-01-01T00:00:00.000Z")
        XCTAssertEqual(DateParser.format(millis: year0 - 1), "-0001-12-31T23:59:59.999Z")
        XCTAssertEqual(DateParser.format(millis: 253_402_300_799_999), "9999-12-31T23:59:59.999Z")
        XCTAssertEqual(DateParser.format(millis: 253_402_300_800_000), "10000-01-01T00:00:00.000Z")
        var values: [Int64] = [year0, year0 - 1, 0, -1, 1, 999, 1000, 253_402_300_799_999, 253_402_300_800_000, Int64.min, Int64.max]
        for _ in 0..<2000 { values.append(Int64.random(in: -70_000_000_000_000...260_000_000_000_000)) }
        for v in values {
            let plain = DateParser.format(millis: v)
            var quoted: [UInt8] = [7]
            DateParser.write(millis: v, into: &quoted, quoted: true)
            XCTAssertEqual(quoted, [7, 34] + Array(plain.utf8) + [34], "\(v)")
            var w = JSONWriter(); w.isoDate(millis: v)
            XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "\"\(plain)\"")
        }
    }
}

/// Date math in range bounds (LogpondQuery's DateMath).
final class DateMathTests: XCTestCase {
    /// The hand-written zone-offset check agrees with the regular expression it replaced, on
    /// offsets, dates without one, epoch numbers and random strings of date characters.
    func testZoneOffsetCheckMatchesTheRegularExpressionProperty() {
        var cases = ["2024-01-16T12:00:00-05:30", "2024-01-16T12:00:00+0530", "2024-01-16", "2024-01-16T12:00:00",
                     "1705312800000", "-1234", "+12:3", "12:30", "", "-", "+00:00", "2024-01-16T12:00:00.000-0800"]
        var rng = SplitMix(seed: 11)
        let alphabet = Array("0123456789+-:TZ.")
        for _ in 0..<2_000 {
            cases.append(String((0..<Int(rng.next() % 9)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }))
        }
        for s in cases {
            let regex = s.range(of: "[+-]\\d{2}:?\\d{2}$", options: .regularExpression) != nil
            XCTAssertEqual(DateMath.endsWithOffset(s), regex, s)
        }
    }

    /// Anchors with and without `||` math parse as before the split was taken out.
    func testAnchorsWithAndWithoutMath() {
        XCTAssertEqual(DateMath.parse("2024-01-16T12:00:00.000Z", roundUp: false), 1_705_406_400_000)
        XCTAssertEqual(DateMath.parse("2024-01-16T12:00:00Z||+1h", roundUp: false), 1_705_410_000_000)
        XCTAssertEqual(DateMath.parse("2024-01-16T12:34:00Z||/h", roundUp: false), 1_705_406_400_000)
        XCTAssertEqual(DateMath.parse("2024-01-16T12:34:00Z||/h", roundUp: true), 1_705_409_999_999)
        XCTAssertEqual(DateMath.parse("2024-01-16T12:00:00+01:00", roundUp: false), 1_705_402_800_000)
        XCTAssertNil(DateMath.parse("yesterday", roundUp: false))
    }
}
