import Foundation

/// A value behind a lock of its own.
final class Locked<T>: @unchecked Sendable {
    private var v: T
    private let l = NSLock()
    init(_ v: T) { self.v = v }
    var value: T {
        get { l.withLock { v } }
        set { l.withLock { v = newValue } }
    }
}

extension Store {
    /// Changes cluster settings (nil removes one): all checked first, persistent ones written
    /// to the catalog, then applied at once (watermarks, auto-creation, retention's budget).
    public func updateClusterSettings(persistent: [String: String?], transient: [String: String?]) throws {
        try ClusterSettings.validate(persistent, scope: "persistent")
        try ClusterSettings.validate(transient, scope: "transient")
        var e = clusterSettings.effective
        for (k, v) in persistent where transient[k] == nil { e[k] = v }
        for (k, v) in transient { e[k] = v }
        if let p = effectiveWatermarks(e).problem() { throw EngineError.illegalArgument("disk watermarks: \(p)") }
        try settingsLock.withLock {
            let old = clusterSettings.persistent
            var next = old
            for (k, v) in persistent { next[k] = v }
            if next != old {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: next, options: [.sortedKeys]), as: UTF8.self)
                try catalog.setMeta(FileNames.clusterSettingsMetaKey, json)
            }
            clusterSettings.change(persistent: persistent, transient: transient)
            applyClusterSettings()
        }
    }

    /// Puts the effective settings in force.
    func applyClusterSettings() {
        let e = clusterSettings.effective
        disk.watermarks = effectiveWatermarks(e)
        autoCreate.value = e["action.auto_create_index"].flatMap { s in AutoCreateRules.parse(s).flatMap { $0.allowAll ? nil : ($0, s) } }
        destructiveRequiresName.value = e["action.destructive_requires_name"] == "true"
    }

    func effectiveWatermarks(_ e: [String: String]) -> DiskWatermarks {
        var w = options.watermarks
        let base = "cluster.routing.allocation.disk."
        if let v = e[base + "watermark.low"].flatMap(DiskWatermarks.parse) { w.low = v }
        if let v = e[base + "watermark.high"].flatMap(DiskWatermarks.parse) { w.high = v }
        if let v = e[base + "watermark.flood_stage"].flatMap(DiskWatermarks.parse) { w.floodStage = v }
        if let v = e[base + "threshold_enabled"] { w.enabled = v == "true" }
        return w
    }

    /// The retention in force: the config's, with the size budget the settings give.
    public func effectiveRetention() -> RetentionConfig {
        var r = retentionBase.value
        let e = clusterSettings.effective
        if let v = e["logpond.retention.max_total_size"].flatMap(ByteSize.parse) { r.maxTotalBytes = v }
        if let p = e["logpond.retention.budget_pattern"] { r.budgetPattern = p }
        return r
    }

    /// Throws when `action.auto_create_index` does not let a write create `name`.
    @inline(__always) func checkAutoCreate(_ name: String) throws {
        guard let (rules, text) = autoCreate.value, index(named: name) == nil else { return }
        if let why = rules.refusal(name, setting: text) { throw EngineError.autoCreateRefused(index: name, why: why) }
    }

    /// `action.destructive_requires_name`: deleting by wildcard or `_all` is refused.
    public var requiresNamesToDelete: Bool { destructiveRequiresName.value }
}
