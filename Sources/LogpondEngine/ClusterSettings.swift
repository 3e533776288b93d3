import Foundation

/// `_cluster/settings`: persistent settings kept in the catalog (meta `cluster_settings`),
/// transient ones in memory until a restart, as Elasticsearch keeps them. Only settings
/// Logpond applies are taken, plus a few that need no action on one node; any other is a 400.
public final class ClusterSettings: @unchecked Sendable {
    /// Settings Logpond applies, with their checks.
    static let applied: [String: (String) -> Bool] = [
        "action.auto_create_index": { AutoCreateRules.parse($0) != nil },
        "action.destructive_requires_name": { $0 == "true" || $0 == "false" },
        "cluster.routing.allocation.disk.watermark.low": { DiskWatermarks.parse($0) != nil },
        "cluster.routing.allocation.disk.watermark.high": { DiskWatermarks.parse($0) != nil },
        "cluster.routing.allocation.disk.watermark.flood_stage": { DiskWatermarks.parse($0) != nil },
        "cluster.routing.allocation.disk.threshold_enabled": { $0 == "true" || $0 == "false" },
        "logpond.retention.max_total_size": { ByteSize.parse($0) != nil },
        "logpond.retention.budget_pattern": { !$0.isEmpty },
    ]
    /// Accepted and shown, with nothing to do on a single node of one shard per index.
    static let inert: Set<String> = ["cluster.routing.allocation.enable", "cluster.routing.rebalance.enable", "cluster.max_shards_per_node",
                                     "indices.recovery.max_bytes_per_sec", "cluster.routing.allocation.node_concurrent_recoveries"]

    private let lock = NSLock()
    private var persistentValues: [String: String] = [:]
    private var transientValues: [String: String] = [:]

    public var persistent: [String: String] { lock.withLock { persistentValues } }
    public var transient: [String: String] { lock.withLock { transientValues } }
    /// Transient over persistent, as Elasticsearch resolves them.
    public var effective: [String: String] { lock.withLock { persistentValues.merging(transientValues) { $1 } } }

    func load(_ json: String?) {
        guard let j = json, let d = (try? JSONSerialization.jsonObject(with: Data(j.utf8))) as? [String: String] else { return }
        lock.withLock { persistentValues = d }
    }

    /// Checks every change before any is applied: a key neither applied nor inert, or a value
    /// that does not parse, refuses the whole request.
    static func validate(_ changes: [String: String?], scope: String) throws {
        for (k, v) in changes {
            guard applied[k] != nil || inert.contains(k) else {
                throw EngineError.illegalArgument("\(scope) setting [\(EngineError.clip(k, max: 128))], not recognized")
            }
            if let v, let ok = applied[k], !ok(v) {
                throw EngineError.illegalArgument("failed to parse value [\(EngineError.clip(v, max: 128))] for setting [\(k)]")
            }
        }
    }

    /// Applies validated changes (nil removes).
    func change(persistent p: [String: String?], transient t: [String: String?]) {
        lock.withLock {
            for (k, v) in p { persistentValues[k] = v }
            for (k, v) in t { transientValues[k] = v }
        }
    }
}

/// `action.auto_create_index`: true, false, or patterns (`+logs-*,-*`) where the first that
/// matches decides and none matching refuses.
public struct AutoCreateRules: Sendable {
    public var allowAll: Bool
    public var patterns: [(allow: Bool, pattern: String)]

    public static func parse(_ s: String) -> AutoCreateRules? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t == "true" { return AutoCreateRules(allowAll: true, patterns: []) }
        if t == "false" { return AutoCreateRules(allowAll: false, patterns: []) }
        var out: [(Bool, String)] = []
        for part in t.split(separator: ",") {
            var p = part.trimmingCharacters(in: .whitespaces)
            var allow = true
            if p.hasPrefix("+") { p.removeFirst() } else if p.hasPrefix("-") { p.removeFirst(); allow = false }
            guard !p.isEmpty else { return nil }
            out.append((allow, p))
        }
        return out.isEmpty ? nil : AutoCreateRules(allowAll: false, patterns: out)
    }

    /// nil: allowed; otherwise why not, in Elasticsearch's words.
    public func refusal(_ index: String, setting: String) -> String? {
        if allowAll { return nil }
        if patterns.isEmpty { return "[action.auto_create_index] is [false]" }
        for (allow, p) in patterns where Store.wildcardMatch(p, index) {
            return allow ? nil : "[action.auto_create_index] contains [-\(p)] which forbids automatic creation of the index"
        }
        return "[action.auto_create_index] ([\(setting)]) doesn't match"
    }
}
