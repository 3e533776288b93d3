import XCTest
import LogpondAnalysis

final class AnalyzerTests: XCTestCase {
    func testStandardLowercasesAndSplits() {
        let t = Analyzers.standard.tokens("The 2 QUICK Brown-Foxes jumped over the lazy dog's bone.")
        XCTAssertEqual(t.map(\.text), ["the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog's", "bone"])
        XCTAssertEqual(t.map(\.position), Array(0..<11))
    }

    func testStandardKeepsNumbersAndDottedWords() {
        XCTAssertEqual(Analyzers.standard.tokens("GET /healthz 200 from 127.0.0.1 v1.2 1,000").map(\.text),
                       ["get", "healthz", "200", "from", "127.0.0.1", "v1.2", "1,000"])
        XCTAssertEqual(Analyzers.standard.tokens("weave-scope-agent-56dfr").map(\.text), ["weave", "scope", "agent", "56dfr"])
    }

    func testStandardNonASCII() {
        XCTAssertEqual(Analyzers.standard.tokens("Größe ÜBER café").map(\.text), ["größe", "über", "café"])
        XCTAssertEqual(Analyzers.standard.tokens("로그 저장").map(\.text), ["로그", "저장"])
        XCTAssertEqual(Analyzers.standard.tokens("日本").map(\.text), ["日", "本"])
    }

    func testMaxTokenLengthSplits() {
        let long = String(repeating: "a", count: 300)
        XCTAssertEqual(StandardAnalyzer(maxTokenLength: 255).tokens(long).map { $0.term.count }, [255, 45])
    }

    func testKeywordAndWhitespace() {
        XCTAssertEqual(KeywordAnalyzer().tokens("New York").map(\.text), ["New York"])
        XCTAssertEqual(WhitespaceAnalyzer().tokens(" a  B\tc\n").map(\.text), ["a", "B", "c"])
    }
}
