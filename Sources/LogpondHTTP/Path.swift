import Foundation

/// A request path split into decoded segments, tolerant of `//` and a trailing `/`.
struct RequestPath {
    let segments: [String]
    let raw: String

    init(_ path: String) {
        raw = path
        // Foundation's decoding only where there is something to decode: it was 3% of a
        // small search's server time (issue 17).
        segments = path.split(separator: "/", omittingEmptySubsequences: true).map { s in
            s.utf8.contains(UInt8(ascii: "%")) ? (String(s).removingPercentEncoding ?? String(s)) : String(s)
        }
    }
}

/// Parses a query string into a dictionary (last value wins), percent-decoding keys and values.
func parseQuery(_ q: String?) -> [String: String] {
    guard let q, !q.isEmpty else { return [:] }
    var out: [String: String] = [:]
    for pair in q.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1)
        func decode(_ part: Substring) -> String {
            guard part.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(part) }
            return String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
        }
        let k = decode(kv[0])
        let v = kv.count > 1 ? decode(kv[1]) : ""
        out[k] = v
    }
    return out
}

extension Dictionary where Key == String, Value == String {
    /// Elasticsearch's boolean URL parameters: present without value, `true`, or absent.
    func flag(_ k: String) -> Bool {
        guard let v = self[k] else { return false }
        return v.isEmpty || v == "true"
    }
}
