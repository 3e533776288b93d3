import XCTest
@testable import LogpondEngine

/// `_update`'s partial-document merge on JSON text: exact outputs, then random documents and
/// patches against a merge over parsed objects, and inputs that must be refused, not trap.
final class SourceMergeTests: XCTestCase {
    func merge(_ a: String, _ b: String) -> (String, Bool)? {
        SourceMerge.merge(Array(a.utf8), Array(b.utf8)).map { (String(decoding: $0.source, as: UTF8.self), $0.changed) }
    }

    func testExactOutputs() {
        XCTAssertEqual(merge(#"{"a":1,"o":{"x":1,"y":[1,2]},"l":[1],"z":"s"}"#, #"{"o":{"y":[9],"w":true},"l":[],"n":null}"#)?.0,
                       #"{"a":1,"o":{"x":1,"y":[9],"w":true},"l":[],"z":"s","n":null}"#)
        // Untouched values keep their bytes (whitespace inside arrays, number spelling).
        XCTAssertEqual(merge(#"{ "a" : [1, 2] , "b":1.50 }"#, #"{"c":"x"}"#)?.0, #"{"a":[1, 2],"b":1.50,"c":"x"}"#)
        XCTAssertEqual(merge(#"{"a":1}"#, #"{"a":1}"#)?.1, false)
        XCTAssertEqual(merge(#"{"a":{"b":{"c":1}}}"#, #"{"a":{"b":{"c":1}}}"#)?.1, false)
        XCTAssertEqual(merge(#"{"a":1}"#, #"{"a":2}"#)?.1, true)
        XCTAssertEqual(merge(#"{"a":{"b":1}}"#, #"{"a":5}"#)?.0, #"{"a":5}"#)
        XCTAssertEqual(merge(#"{"a":5}"#, #"{"a":{"b":1}}"#)?.0, #"{"a":{"b":1}}"#)
        // Escaped keys compare by what they say.
        XCTAssertEqual(merge(#"{"\u0041":1}"#, #"{"A":2}"#)?.0, #"{"\u0041":2}"#)
        XCTAssertEqual(merge(#"{}"#, #"{}"#)?.0, "{}")
        XCTAssertEqual(String(decoding: SourceMerge.member(Array(#"{"doc":{"b":1,"a":[2]},"x":1}"#.utf8), "doc") ?? [], as: UTF8.self), #"{"b":1,"a":[2]}"#)
    }

    func testRefusedInputsDoNotTrap() {
        for bad in ["", "[1]", "1", "{", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, #"{"a":"x"#, #"{"a":[1,2}"#, #"{"a":1}x"#, "{\"a\":\"\\"] {
            XCTAssertNil(merge(bad, #"{"a":1}"#), bad)
            XCTAssertNil(merge(#"{"a":1}"#, bad), bad)
        }
        let deep = String(repeating: #"{"a":"#, count: Limits.maxRequestJSONDepth + 1) + "1" + String(repeating: "}", count: Limits.maxRequestJSONDepth + 1)
        XCTAssertNil(merge(deep, #"{"a":1}"#), "deeper than the request depth limit")
    }

    /// Random documents and patches: the text merge parses to the same value as a merge of
    /// the parsed objects, and `changed` is false exactly when that merge equals the document.
    func testRandomAgainstObjectMerge() throws {
        var rng = SystemRandomNumberGenerator()
        func value(_ depth: Int) -> Any {
            switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &rng) {
            case 0: return Int.random(in: -3...3, using: &rng)
            case 1: return ["x", "y", "é", "a\"b"].randomElement(using: &rng)!
            case 2: return NSNull()
            case 3: return [Int.random(in: 0...2, using: &rng)]
            default: return object(depth + 1)
            }
        }
        func object(_ depth: Int) -> [String: Any] {
            var o: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &rng) { o[["a", "b", "c", "d"].randomElement(using: &rng)!] = value(depth) }
            return o
        }
        func objectMerge(_ a: [String: Any], _ b: [String: Any]) -> [String: Any] {
            var out = a
            for (k, v) in b {
                if let x = a[k] as? [String: Any], let y = v as? [String: Any] { out[k] = objectMerge(x, y) } else { out[k] = v }
            }
            return out
        }
        for _ in 0..<2000 {
            let doc = object(0), patch = Bool.random(using: &rng) ? object(0) : doc
            let d = try JSONSerialization.data(withJSONObject: doc), p = try JSONSerialization.data(withJSONObject: patch)
            let r = try XCTUnwrap(SourceMerge.merge([UInt8](d), [UInt8](p)))
            let got = try JSONSerialization.jsonObject(with: Data(r.source)) as! NSDictionary
            let want = objectMerge(doc, patch) as NSDictionary
            XCTAssertEqual(got, want)
            XCTAssertEqual(r.changed, want != (doc as NSDictionary))
        }
    }
}
