import Foundation

/// A request path split into decoded segments, tolerant of `//` and a trailing `/`.
struct RequestPath {
    let segments: [String]
    let raw: String

    init(_ path: String) {
        raw = path
        segments = path.split(separator: "/", omittingEmptySubsequences: true).map { s in
            String(s).removingPercentEncoding ?? String(s)
        }
    }
}

/// Parses a query string into a dictionary (last value wins), percent-decoding keys and values.
func parseQuery(_ q: String?) -> [String: String] {
    guard let q, !q.isEmpty else { return [:] }
    var out: [String: String] = [:]
    for pair in q.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1)
        let k = String(kv[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[0])
        let v = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
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
