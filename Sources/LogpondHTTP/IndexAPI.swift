import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// Index administration: create, delete, get, mapping, refresh, flush, force-merge.
extension API {
    func createIndex(_ name: String, body: [UInt8]) throws -> Response {
        let json = try parseJSONBody(body) as? [String: Any] ?? [:]
        var mapping: Mapping? = nil
        if let m = json["mappings"] { mapping = try MappingJSON.parse(m) }
        var settings = "{}"
        if let s = json["settings"], let d = try? JSONSerialization.data(withJSONObject: s, options: [.sortedKeys]) { settings = String(decoding: d, as: UTF8.self) }
        var aliases: [String: Any]? = nil
        if let a = json["aliases"] {
            guard let o = a as? [String: Any] else { throw ESError(400, "parse_exception", "[aliases] must be an object of alias names") }
            for (_, body) in o { if let f = (body as? [String: Any])?["filter"] { _ = try QueryParser.parse(f) } }
            aliases = o
        }
        try store.createIndex(name, mapping: mapping, settings: json["settings"] == nil ? nil : settings, aliases: aliases)
        return ESResponse.json(.ok, [("acknowledged", true), ("shards_acknowledged", true), ("index", name)] as [(String, Any)])
    }

    func deleteIndex(_ expr: String, params: [String: String] = [:]) throws -> Response {
        for p in expr.split(separator: ",").map(String.init) where !p.contains("*") && store.index(named: p) == nil && store.aliasMembers(p) != nil {
            throw ESError(400, "illegal_argument_exception", "The provided expression [\(EngineError.clip(p))] matches an alias, specify the corresponding concrete indices instead.")
        }
        if store.requiresNamesToDelete && expr.split(separator: ",").contains(where: { $0 == "_all" || $0.contains("*") }) {
            throw ESError(400, "illegal_argument_exception", "Wildcard expressions or all indices are not allowed")
        }
        let indices = try store.resolve(expr, ignoreUnavailable: params.flag("ignore_unavailable"), expandWildcards: expand(params, default: ["open", "closed"]), aliases: false)
        if indices.isEmpty && !expr.contains("*") { throw EngineError.indexNotFound(expr) }
        for i in indices { try store.deleteIndex(i.name) }
        return ESResponse.json(.ok, [("acknowledged", true)] as [(String, Any)])
    }

    func getIndex(_ expr: String, head: Bool) throws -> Response {
        let indices = try store.resolve(expr, ignoreUnavailable: false)
        if head { return ESResponse.json(.ok, [UInt8]("{}".utf8)) }
        var out: [(String, Any)] = []
        for i in indices {
            let snap = i.snapshot(markSearched: false)
            out.append((i.name, [("aliases", aliasesObject(of: i.name)), ("mappings", MappingJSON.toJSON(snap.mapping)),
                                 ("settings", ["index": settingsBlock(i)])] as [(String, Any)]))
        }
        return ESResponse.json(.ok, out)
    }

    func settingsBlock(_ i: Index) -> [String: Any] {
        var s: [String: Any] = [:]
        if let d = try? JSONSerialization.jsonObject(with: Data(i.settingsJSON.utf8)) as? [String: Any] {
            let inner = d["index"] as? [String: Any] ?? d
            for (k, v) in inner { s[k.hasPrefix("index.") ? String(k.dropFirst(6)) : k] = "\(v)" }
        }
        s["creation_date"] = String(i.creationDate)
        s["number_of_shards"] = s["number_of_shards"] ?? "1"
        s["number_of_replicas"] = s["number_of_replicas"] ?? "0"
        s["uuid"] = i.uuid
        s["provided_name"] = i.name
        s["version"] = ["created": "7171899"]
        return s
    }

    func getMapping(targets: String) throws -> Response {
        let indices = try store.resolve(targets)
        let out: [(String, Any)] = indices.map { ($0.name, ["mappings": MappingJSON.toJSON($0.snapshot(markSearched: false).mapping)]) }
        return ESResponse.json(.ok, out)
    }

    func putMapping(_ targets: String, body: [UInt8]) throws -> Response {
        guard let json = try parseJSONBody(body) else { throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: mapping source is empty;") }
        let m = try MappingJSON.parse(json)
        for i in try store.resolve(targets) { try store.putMapping(i.name, m) }
        return ESResponse.json(.ok, [("acknowledged", true)] as [(String, Any)])
    }

    func shardsBody(_ n: Int) -> [(String, Any)] { [("_shards", [("total", n), ("successful", n), ("failed", 0)] as [(String, Any)])] }

    func refresh(targets: String) throws -> Response {
        let indices = try store.resolve(targets)
        for i in indices { try store.refresh(i) }
        return ESResponse.json(.ok, shardsBody(indices.count))
    }

    func flush(targets: String) async throws -> Response {
        let indices = try store.resolve(targets)
        try await store.flushAll()
        return ESResponse.json(.ok, shardsBody(indices.count))
    }

    func forceMerge(targets: String, params: [String: String]) async throws -> Response {
        let indices = try store.resolve(targets)
        // -1 is Elasticsearch's "as needed" default; anything else must be a positive count.
        let maxSegments = try Param.int(params["max_num_segments"], "max_num_segments", min: -1, max: Int(Int32.max)) ?? 1
        try await store.forceMerge(indices, maxSegments: max(1, maxSegments))
        return ESResponse.json(.ok, shardsBody(indices.count))
    }
}
