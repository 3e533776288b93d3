import Foundation
import Yams

/// The YAML config file: Elasticsearch's setting names (`path.data`, `network.host`,
/// `http.port`, `http.max_content_length`, `cluster.name`, `node.name`) plus `logpond.*`.
struct FileConfig {
    var values: [String: String] = [:]

    static func load(_ path: String) throws -> FileConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationErrorMessage("cannot read config file \(path); check the path and permissions")
        }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw ValidationErrorMessage("config file \(path) is not valid YAML: \(error)") }
        var c = FileConfig()
        func walk(_ v: Any?, _ prefix: String) {
            if let d = v as? [String: Any] { for (k, x) in d { walk(x, prefix.isEmpty ? k : prefix + "." + k) } }
            else if let v { c.values[prefix] = "\(v)" }
        }
        walk(root, "")
        return c
    }

    subscript(_ k: String) -> String? { values[k] }
}

struct ValidationErrorMessage: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Parses sizes like `100mb`, `1gb`, `512kb` or plain bytes.
func parseByteSize(_ s: String) -> Int? {
    let t = s.lowercased().trimmingCharacters(in: .whitespaces)
    let units: [(String, Int)] = [("tb", 1 << 40), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("b", 1)]
    for (u, m) in units where t.hasSuffix(u) { return Int(t.dropLast(u.count)).map { $0 * m } }
    return Int(t)
}

/// Parses durations like `1s`, `500ms`, `30s`, `1m` into milliseconds.
func parseMillis(_ s: String) -> Int? {
    let t = s.lowercased()
    if t.hasSuffix("ms") { return Int(t.dropLast(2)) }
    if t.hasSuffix("s") { return Int(t.dropLast()).map { $0 * 1000 } }
    if t.hasSuffix("m") { return Int(t.dropLast()).map { $0 * 60_000 } }
    return Int(t)
}
