import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// The index administration Curator and operators use: settings, cluster state metadata,
/// stats, close and open.
extension API {
    /// Settings as Elasticsearch shows them for one index (nested, string values).
    func indexSettingsView(_ i: Index) -> [String: Any] {
        var flat = TemplateStore.flatSettings(IndexSettings(json: i.settingsJSON).raw)
        flat["index.creation_date"] = String(i.creationDate)
        flat["index.number_of_shards"] = flat["index.number_of_shards"] ?? "1"
        flat["index.number_of_replicas"] = flat["index.number_of_replicas"] ?? "0"
        flat["index.uuid"] = i.uuid
        flat["index.provided_name"] = i.name
        flat["index.version.created"] = "7171899"
        if i.currentState == "close" { flat["index.verified_before_close"] = "true" }
        // The flood-stage block is the node's, shown on every index as Elasticsearch sets it.
        if store.disk.isBlocked { flat["index.blocks.read_only_allow_delete"] = "true" }
        return nestedSettings(flat)
    }

    func getSettings(targets: String, params: [String: String]) throws -> Response {
        let indices = try store.resolve(targets, ignoreUnavailable: params.flag("ignore_unavailable"),
                                        expandWildcards: expand(params, default: ["open", "closed"]))
        return ESResponse.json(.ok, indices.map { ($0.name, ["settings": indexSettingsView($0)] as Any) })
    }

    func putSettings(targets: String, body: [UInt8], params: [String: String]) throws -> Response {
        guard var json = try parseJSONBody(body) as? [String: Any] else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: no settings to update;")
        }
        if let inner = json["settings"] as? [String: Any] { json = inner }
        func setting(_ k: String) -> Any? { (json["index"] as? [String: Any])?[k] ?? json["index." + k] ?? json[k] }
        if let r = setting("refresh_interval"), !(r is NSNull) {
            guard let s = r as? String, s == "-1" || Param.durationMillis(s) != nil else {
                throw ESError(400, "illegal_argument_exception", "failed to parse setting [index.refresh_interval] with value [\(String("\(r)".prefix(32)))] as a time value: unit is missing or unrecognized")
            }
        }
        for k in ["max_result_window", "max_inner_result_window", "max_terms_count", "max_regex_length", "number_of_replicas", "number_of_shards"] {
            _ = try Param.int(setting(k), "index." + k, min: k == "number_of_replicas" ? 0 : 1, max: Int(Int32.max))
        }
        for i in try store.resolve(targets, expandWildcards: expand(params, default: ["open"])) { try store.updateSettings(i.name, json) }
        return ESResponse.json(.ok, [("acknowledged", true)] as [(String, Any)])
    }

    /// `GET /_cluster/state[/metadata[/{indices}]]`: only the requested indices, with settings
    /// (Curator reads creation_date and state from here; clients.md §4.1 step 6).
    func clusterState(_ rest: [String], params: [String: String]) throws -> Response {
        let targets = rest.count >= 2 ? rest[1] : "_all"
        let indices = try store.resolve(targets, ignoreUnavailable: params.flag("ignore_unavailable"),
                                        expandWildcards: expand(params, default: ["open", "closed"]))
        let meta: [(String, Any)] = indices.map { i in
            (i.name, [("state", i.currentState), ("settings", indexSettingsView(i)),
                      ("mappings", ["_doc": MappingJSON.toJSON(i.snapshot(markSearched: false).mapping)]), ("aliases", store.aliasRecords.filter { $0.indexUUID == i.uuid }.map { $0.alias })] as [(String, Any)])
        }
        let body: [(String, Any)] = [("cluster_name", config.clusterName), ("cluster_uuid", clusterUUID),
                                     ("metadata", [("cluster_uuid", clusterUUID), ("indices", meta)] as [(String, Any)])]
        return ESResponse.json(.ok, body)
    }

    /// `GET /_stats[/{metrics}]`, `/{indices}/_stats[/{metrics}]`: per index and summed.
    func stats(targets: String, metrics: String?, params: [String: String]) throws -> Response {
        let known: Set<String> = ["_all", "docs", "store", "indexing", "search", "refresh", "flush", "segments", "translog",
                                  "get", "merge", "warmer", "query_cache", "fielddata", "completion", "request_cache", "recovery", "bulk", "shard_stats"]
        let asked = Set((metrics ?? "_all").split(separator: ",").map(String.init))
        if let bad = asked.first(where: { !known.contains($0) }) {
            throw ESError(400, "illegal_argument_exception", "request [/_stats/\(EngineError.clip(metrics ?? "", max: 128))] contains unrecognized metric: [\(EngineError.clip(bad, max: 64))]")
        }
        func wants(_ m: String) -> Bool { asked.contains("_all") || asked.contains(m) }
        let indices = try store.resolve(targets, ignoreUnavailable: params.flag("ignore_unavailable"),
                                        expandWildcards: expand(params, default: ["open"])).filter { $0.currentState == "open" }
        var sum = StatsBlock()
        var per: [(String, Any)] = []
        for i in indices {
            let b = StatsBlock(i)
            sum.add(b)
            let block = b.json(wants)
            per.append((i.name, [("uuid", i.uuid), ("health", i.brokenSegments.isEmpty ? "green" : "red"), ("status", "open"),
                                 ("primaries", block), ("total", block)] as [(String, Any)]))
        }
        let all = sum.json(wants)
        var body: [(String, Any)] = [("_shards", [("total", indices.count), ("successful", indices.count), ("failed", 0)] as [(String, Any)]),
                                     ("_all", [("primaries", all), ("total", all)] as [(String, Any)])]
        if params["level"] != "cluster" { body.append(("indices", JSONObject.of(per))) }
        return ESResponse.json(.ok, body)
    }

    func closeOrOpen(targets: String, close: Bool, params: [String: String]) throws -> Response {
        let indices = try store.resolve(targets, ignoreUnavailable: params.flag("ignore_unavailable"),
                                        expandWildcards: expand(params, default: close ? ["open"] : ["closed"]))
        for i in indices { if close { try store.closeIndex(i.name) } else { try store.openIndex(i.name) } }
        var body: [(String, Any)] = [("acknowledged", true), ("shards_acknowledged", true)]
        if close { body.append(("indices", indices.map { ($0.name, ["closed": true] as Any) })) }
        return ESResponse.json(.ok, body)
    }
}
