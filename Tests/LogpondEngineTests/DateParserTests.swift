import XCTest
@testable import LogpondEngine

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
}
