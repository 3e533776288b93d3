import XCTest
@testable import LogpondAnalysis
@testable import LogpondEngine
@testable import LogpondQuery

/// The checks that keep request values from trapping (issue 16), tested where they live.
final class ValidationTests: XCTestCase {
    func testParamIntBoundsAndTypes() throws {
        XCTAssertEqual(try Param.int(NSNumber(value: 5), "size"), 5)
        XCTAssertEqual(try Param.int("7", "size"), 7)
        XCTAssertEqual(try Param.int(NSNumber(value: 2.9), "size"), 2)
        XCTAssertNil(try Param.int(nil, "size"))
        XCTAssertNil(try Param.int(NSNull(), "size"))
        for bad: Any in [NSNumber(value: -1), NSNumber(value: Int64.max), NSNumber(value: 1e308), NSNumber(value: Double.infinity), "x", [1], ["a": 1], NSNumber(value: true)] {
            XCTAssertThrowsError(try Param.int(bad, "size"), "\(bad)")
        }
        XCTAssertEqual(try Param.int(NSNumber(value: -5), "shift", min: -10, max: 10), -5)
        XCTAssertThrowsError(try Param.boost(NSNumber(value: -1)))
        XCTAssertEqual(try Param.boost(NSNumber(value: 1e308)), Float.greatestFiniteMagnitude)
    }

    func testMinimumShouldMatchAndFuzzinessAreCheckedAtParse() throws {
        for ok: Any in ["75%", "-25%", "3", "-2", "2<-25% 9<-3", NSNumber(value: 2)] { XCTAssertNoThrow(try MinimumShouldMatch.validate(ok), "\(ok)") }
        for bad: Any in ["1e308%", "101%", "3<x", "99999999999999999999<-1", "abc", NSNumber(value: Int64.max)] {
            XCTAssertThrowsError(try MinimumShouldMatch.validate(bad), "\(bad)")
        }
        XCTAssertEqual(MinimumShouldMatch.resolve("-25%", optional: 4, default: 1), 3)
        for ok: Any in ["AUTO", "auto:3,6", "0", "2", NSNumber(value: 1)] { XCTAssertNoThrow(try Fuzziness.validate(ok), "\(ok)") }
        for bad: Any in ["AUTO:9,1", "3", "-1", "1e300", NSNumber(value: 100), "x"] { XCTAssertThrowsError(try Fuzziness.validate(bad), "\(bad)") }
        XCTAssertEqual(Fuzziness.edits("1e300", length: 5), 2)   // no trap even unchecked
    }

    func testDateMathNeverOverflows() {
        let now = DateMath.parse("now", roundUp: false)!
        XCTAssertNil(DateMath.parse("now+9223372036854775807d", roundUp: false))
        XCTAssertNil(DateMath.parse("now-9223372036854775807ms", roundUp: false))
        XCTAssertNil(DateMath.parse("now+999999999999y", roundUp: false))
        XCTAssertNil(DateMath.parse("2024-01-01||+9223372036854775807h", roundUp: false))
        XCTAssertEqual(DateMath.parse("now+1d", roundUp: false).map { $0 - now }.map { $0 / 1000 }, 86_400)
        XCTAssertEqual(DateMath.clamp(.infinity), 0)
        XCTAssertEqual(DateMath.clamp(1e300), DateMath.maxMillisInt)
        XCTAssertNil(DateMath.add(DateMath.maxMillisInt, 1, unit: "d", offset: 0))
    }

    func testCivilMatchesTheFormatterOverTheWholeRange() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let days = Int64.random(in: -3_000_000...3_000_000, using: &rng)   // ±8,000 years
            let (y, m, d) = DateMath.civil(days)
            XCTAssertEqual(Int64(DateParser.daysFromCivil(year: y, month: m, day: d)), days)
            XCTAssert((1...12).contains(m) && (1...31).contains(d))
        }
        let (y, m, d) = DateMath.civil(Int64(DateMath.maxMillis / 86_400_000))
        XCTAssertEqual(Int64(DateParser.daysFromCivil(year: y, month: m, day: d)), Int64(DateMath.maxMillis / 86_400_000))
    }

    func testLuceneParserDepthAndClauseLimits() {
        XCTAssertThrowsError(try LuceneParser.parse(String(repeating: "(", count: 1_000_000)))
        XCTAssertThrowsError(try LuceneParser.parse(String(repeating: "(", count: 100) + "a" + String(repeating: ")", count: 100)))
        XCTAssertNoThrow(try LuceneParser.parse(String(repeating: "(", count: 60) + "a" + String(repeating: ")", count: 60)))
        XCTAssertThrowsError(try LuceneParser.parse((0..<5000).map { "t\($0)" }.joined(separator: " OR ")))
    }

    func testBucketScriptDepthAndSize() {
        XCTAssertThrowsError(try AggScript.parse(String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)))
        XCTAssertThrowsError(try AggScript.parse(String(repeating: "-", count: 100_000) + "1"))
        XCTAssertThrowsError(try AggScript.parse(Array(repeating: "1", count: 5000).joined(separator: "+")))
        XCTAssertEqual(try AggScript.parse("(params.a + 2) * 3").eval(["a": 1]), 9)
    }

    func testRegexIntervalsAndBudget() throws {
        XCTAssertThrowsError(try LuceneRegex.translate("<5-1>"))
        XCTAssertThrowsError(try LuceneRegex.translate("<0-9223372036854775807>"))
        XCTAssertEqual(try LuceneRegex.translate("a<1-3>"), "a(?:1|2|3)")
        let r = try BoundedRegex(lucene: "(a+)+b", context: "test")
        let started = Date()
        XCTAssertThrowsError(try r.matches(String(repeating: "a", count: 40)))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertTrue(try BoundedRegex(lucene: "pod-<1-3>", context: "t").matches("pod-2"))
        XCTAssertThrowsError(try BoundedRegex(lucene: String(repeating: "a", count: 1001), context: "t"))
    }

    func testTokenizersAlwaysAdvance() throws {
        var tokens: [Range<Int>] = []
        let text = Array("héllo wörld 日本語".utf8)
        text.withUnsafeBufferPointer { StandardTokenizer(maxTokenLength: 1).tokenize($0) { r, _ in tokens.append(r) } }
        XCTAssertFalse(tokens.contains { $0.isEmpty })
        XCTAssertEqual(tokens.map { $0.count }.reduce(0, +), text.count - 2)   // every byte but the two spaces
        XCTAssertThrowsError(try AnalysisRegistry.builtIn.tokenizer(["type": "standard", "max_token_length": 0]))
        XCTAssertThrowsError(try AnalysisRegistry.builtIn.tokenizer(["type": "standard", "max_token_length": -1]))
        XCTAssertThrowsError(try AnalysisRegistry.builtIn.filter(["type": "length", "min": 5, "max": 1]))
    }

    func testClockDifferencesSaturate() {
        XCTAssertEqual(Clock.elapsed(from: 10, to: 5), 0)
        XCTAssertEqual(Clock.elapsed(from: 5, to: 10), 5)
    }

    func testNullValueLongerThanATermIsRefusedAtParse() throws {
        let ok = String(repeating: "n", count: Limits.maxKeywordTermBytes)
        XCTAssertEqual(try MappingJSON.parseField(["type": "keyword", "null_value": ok], name: "f").nullValue, ok)
        XCTAssertThrowsError(try MappingJSON.parseField(["type": "keyword", "null_value": ok + "n"], name: "f")) { e in
            guard case EngineError.mapperParsing(let why) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(why.contains("[null_value]"), why)
        }
    }

    func testFieldPathRules() {
        for bad in [".", "..", "a..b", ".a", "a.", " ", "a. .b", String(repeating: "k", count: 5000)] {
            XCTAssertThrowsError(try DocumentIndexer.checkFieldPath(bad), bad)
        }
        for ok in ["a", "a.b", "kubernetes.labels.app_kubernetes_io/name", "로그"] { XCTAssertNoThrow(try DocumentIndexer.checkFieldPath(ok), ok) }
    }
}
