import Foundation
import Yams
import LogpondEngine

/// The YAML config file: Elasticsearch's setting names (`path.data`, `network.host`,
/// `http.port`, `http.max_content_length`, `cluster.name`, `node.name`) plus `logpond.*`.
struct FileConfig {
    var values: [String: String] = [:]
    var root: Any? = nil

    static func load(_ path: String) throws -> FileConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationErrorMessage("cannot read config file \(path); check the path and permissions")
        }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw ValidationErrorMessage("config file \(path) is not valid YAML: \(error)") }
        var c = FileConfig()
        c.root = root
        func walk(_ v: Any?, _ prefix: String) {
            if let d = v as? [String: Any] { for (k, x) in d { walk(x, prefix.isEmpty ? k : prefix + "." + k) } }
            else if let v { c.values[prefix] = "\(v)" }
        }
        walk(root, "")
        return c
    }

    subscript(_ k: String) -> String? { values[k] }

    /// The YAML value at a dotted path, for lists and objects (nested or dotted keys).
    func raw(_ path: String) -> Any? {
        func find(_ v: Any?, _ parts: ArraySlice<String>) -> Any? {
            guard let first = parts.first else { return v }
            guard let d = v as? [String: Any] else { return nil }
            for n in stride(from: parts.count, through: 1, by: -1) {
                if let x = d[parts.prefix(n).joined(separator: ".")], let r = find(x, parts.dropFirst(n)) { return r }
            }
            _ = first
            return nil
        }
        return find(root, path.split(separator: ".").map(String.init)[...])
    }

    /// `logpond.retention`: policies, size budget and check interval.
    func retention() throws -> RetentionConfig {
        var r = RetentionConfig()
        if let i = self["logpond.retention.check_interval"] {
            guard let ms = parseMillis(i) else { throw ValidationErrorMessage("logpond.retention.check_interval: cannot read [\(i)]; use a duration such as 1h or 30s") }
            r.checkIntervalMillis = Int64(ms)
        }
        if let b = self["logpond.retention.max_total_size"] {
            guard let v = parseByteSize(b) else { throw ValidationErrorMessage("logpond.retention.max_total_size: cannot read [\(b)]; use a size such as 50gb") }
            r.maxTotalBytes = Int64(v)
        }
        if let p = self["logpond.retention.budget_pattern"] { r.budgetPattern = p }
        for (n, item) in ((raw("logpond.retention.policies") as? [Any]) ?? []).enumerated() {
            guard let d = item as? [String: Any], let pattern = d["pattern"].map({ "\($0)" }), let age = d["max_age"].map({ "\($0)" }) else {
                throw ValidationErrorMessage("logpond.retention.policies[\(n)] needs a pattern and a max_age, e.g. {pattern: logstash-*, max_age: 7d}")
            }
            guard let ms = parseMillis(age) else { throw ValidationErrorMessage("logpond.retention.policies[\(n)].max_age: cannot read [\(age)]; use 7d, 12h or 30m") }
            var p = RetentionPolicy(pattern: pattern, maxAgeMillis: Int64(ms))
            if let s = d["source"].map({ "\($0)" }) {
                guard let src = RetentionPolicy.Source(rawValue: s) else { throw ValidationErrorMessage("logpond.retention.policies[\(n)].source must be name or creation_date") }
                p.source = src
            }
            if let t = d["timestring"].map({ "\($0)" }) { p.timestring = t }
            r.policies.append(p)
        }
        return r
    }
}

extension FileConfig {
    /// `cluster.routing.allocation.disk.*` and `cluster.info.update.interval`.
    func watermarks() throws -> DiskWatermarks {
        var w = DiskWatermarks()
        let base = "cluster.routing.allocation.disk."
        if let e = self[base + "threshold_enabled"] { w.enabled = e != "false" }
        for (key, set) in [("low", { (t: DiskWatermarks.Threshold) in w.low = t }), ("high", { w.high = $0 }), ("flood_stage", { w.floodStage = $0 })] {
            guard let v = self[base + "watermark." + key] else { continue }
            guard let t = DiskWatermarks.parse(v) else {
                throw ValidationErrorMessage("\(base)watermark.\(key): cannot read [\(v)]; use a percentage of the disk used (85%), a ratio (0.85) or the free space to keep (500mb)")
            }
            set(t)
        }
        if let p = w.problem() { throw ValidationErrorMessage("\(base)watermark: \(p)") }
        if let i = self["cluster.info.update.interval"] {
            guard let ms = parseMillis(i), ms >= 100 else { throw ValidationErrorMessage("cluster.info.update.interval: cannot read [\(i)]; use a duration of at least 100ms, such as 30s") }
            w.checkIntervalMillis = Int64(ms)
        }
        return w
    }

    /// `logpond.memory.budget`: a size, or a percentage of the machine's (cgroup's) memory.
    func memoryBudget() throws -> Int64 {
        guard let v = self["logpond.memory.budget"] else { return MemoryBudget.defaultBytes }
        guard let b = MemoryBudget.parse(v, budget: MemoryBudget.available), b >= 16 << 20 else {
            throw ValidationErrorMessage("logpond.memory.budget: cannot read [\(v)]; use a size of at least 16mb (1gb) or a share of memory (25%)")
        }
        return b
    }

    /// A memory limit such as `indexing_pressure.memory.limit`: a size or a share of the budget.
    func memoryLimit(_ key: String, budget: Int64, defaultShare: Double) throws -> Int64 {
        guard let v = self[key] else { return MemoryBudget.share(defaultShare, of: budget) }
        guard let b = MemoryBudget.parse(v, budget: budget), b > 0 else {
            throw ValidationErrorMessage("\(key): cannot read [\(v)]; use a size (100mb) or a percentage of logpond.memory.budget (10%)")
        }
        return b
    }

    /// A size or a percentage of the budget, within `range`; nil when the key is not set.
    func memorySize(_ key: String, budget: Int64, range: ClosedRange<Int64>, hint: String) throws -> Int64? {
        guard let v = self[key] else { return nil }
        guard let b = MemoryBudget.parse(v, budget: budget), range.contains(b) else {
            throw ValidationErrorMessage("\(key): cannot read [\(v.prefix(32))]; \(hint)")
        }
        return b
    }

    /// A positive count such as `thread_pool.search.size`.
    func count(_ key: String, default d: Int, min lo: Int) throws -> Int {
        guard let v = self[key] else { return d }
        guard let n = Int(v), n >= lo, n <= 1 << 20 else { throw ValidationErrorMessage("\(key): cannot read [\(v)]; use a whole number from \(lo) to \(1 << 20)") }
        return n
    }
}

struct ValidationErrorMessage: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Parses sizes like `100mb`, `1gb`, `512kb` or plain bytes (ByteSize.parse), as an Int.
func parseByteSize(_ s: String) -> Int? { ByteSize.parse(s).flatMap { Int(exactly: $0) } }

/// Parses durations like `500ms`, `30s`, `1m`, `12h`, `7d` into milliseconds.
func parseMillis(_ s: String) -> Int? {
    let t = s.lowercased().trimmingCharacters(in: .whitespaces)
    if t.hasSuffix("ms") { return Int(t.dropLast(2)) }
    let units: [(String, Int)] = [("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 7 * 86_400_000)]
    for (u, m) in units where t.hasSuffix(u) {
        // A product that overflows is a value nobody meant: refused, never a trap at start.
        guard let v = Int(t.dropLast()) else { return nil }
        let (r, o) = v.multipliedReportingOverflow(by: m)
        return o ? nil : r
    }
    return Int(t)
}
