import Foundation
import Hummingbird
import LogpondEngine

/// Identity and cluster endpoints: `GET /`, health, nodes, `_cat`.
extension API {
    /// The cluster's id, made once per data folder; read once per process (`API.init`): `GET /`
    /// read it from SQLite on every request, and waited for the catalog lock behind flushes.
    static func loadClusterUUID(_ store: Store) -> String {
        if let u = try? store.catalog.meta("cluster_uuid") { return u }
        let u = UUID().uuidString.lowercased()
        try? store.catalog.setMeta("cluster_uuid", u)
        return u
    }

    func info() -> Response {
        let body: [(String, Any)] = [
            ("name", config.nodeName), ("cluster_name", config.clusterName), ("cluster_uuid", clusterUUID),
            ("version", [("number", config.versionNumber), ("build_flavor", "default"), ("build_type", "tar"), ("build_hash", "logpond"),
                         ("build_date", "2026-11-28T00:00:00.000Z"), ("build_snapshot", false), ("lucene_version", "8.11.1"),
                         ("minimum_wire_compatibility_version", "6.8.0"), ("minimum_index_compatibility_version", "6.0.0-beta1")] as [(String, Any)]),
            ("tagline", "You Know, for Search"),
        ]
        return ESResponse.json(.ok, body)
    }

    func clusterHealth() -> Response {
        let n = store.allIndices.count
        let body: [(String, Any)] = [
            ("cluster_name", config.clusterName), ("status", store.isDamaged ? "red" : "green"), ("timed_out", false), ("number_of_nodes", 1), ("number_of_data_nodes", 1),
            ("active_primary_shards", n), ("active_shards", n), ("relocating_shards", 0), ("initializing_shards", 0), ("unassigned_shards", 0),
            ("delayed_unassigned_shards", 0), ("number_of_pending_tasks", 0), ("number_of_in_flight_fetch", 0),
            ("task_max_waiting_in_queue_millis", 0), ("active_shards_percent_as_number", 100.0),
        ]
        return ESResponse.json(.ok, body)
    }

    func nodes(_ req: Request) -> Response {
        let host = req.head.authority ?? "\(config.host):\(config.port)"
        let publish = host.contains(":") ? host : "\(host):\(config.port)"
        let node: [(String, Any)] = [("name", config.nodeName), ("transport_address", publish), ("host", config.host), ("ip", config.host),
                                     ("version", config.versionNumber), ("roles", ["data", "ingest", "master"]),
                                     ("http", [("bound_address", ["\(config.host):\(config.port)"]), ("publish_address", publish),
                                               ("max_content_length_in_bytes", config.maxContentLength)] as [(String, Any)])]
        let body: [(String, Any)] = [("_nodes", [("total", 1), ("successful", 1), ("failed", 0)] as [(String, Any)]),
                                     ("cluster_name", config.clusterName), ("nodes", [(nodeID, node as Any)])]
        return ESResponse.json(.ok, body)
    }

    var nodeID: String { String(clusterUUID.replacingOccurrences(of: "-", with: "").prefix(22)) }

    func cat(_ rest: [String], params: [String: String]) throws -> Response {
        if let b = params["bytes"], !["b", "k", "kb", "m", "mb", "g", "gb", "t", "tb", "p", "pb"].contains(b) {
            throw ESError(400, "illegal_argument_exception", "failed to parse [bytes] value [\(String(b.prefix(16)))]: use b, kb, mb, gb, tb or pb")
        }
        switch rest.first {
        case "health":
            let n = store.allIndices.count
            let now = Int64(Date().timeIntervalSince1970)
            let row: [(String, Any)] = [("epoch", String(now)), ("timestamp", Self.hms(now)), ("cluster", config.clusterName), ("status", store.isDamaged ? "red" : "green"),
                                        ("node.total", "1"), ("node.data", "1"), ("shards", String(n)), ("pri", String(n)), ("relo", "0"),
                                        ("init", "0"), ("unassign", "0"), ("pending_tasks", "0"), ("max_task_wait_time", "-"), ("active_shards_percent", "100.0%")]
            return CatTable.render([row], params: params)
        case "indices":
            let indices = try store.resolve(rest.count > 1 ? rest[1] : "_all", expandWildcards: expand(params, default: ["all"]))
            let rows: [[(String, Any)]] = indices.map { idx in
                let st = idx.stats
                let closed = idx.currentState == "close"
            return [("health", closed ? "" : idx.brokenSegments.isEmpty ? "green" : "red"), ("status", idx.currentState), ("index", idx.name), ("uuid", idx.uuid), ("pri", "1"), ("rep", "0"),
                        ("docs.count", String(st.docs)), ("docs.deleted", String(st.deleted)), ("store.size", CatTable.size(st.storeBytes, params)),
                        ("pri.store.size", CatTable.size(st.storeBytes, params)), ("creation.date", String(idx.creationDate)),
                        ("creation.date.string", DateParser.format(millis: idx.creationDate))]
            }
            return CatTable.render(rows, params: params, defaultColumns: ["health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted", "store.size", "pri.store.size"])
        case "aliases":
            return catAliases(rest.count > 1 ? rest[1] : nil, params: params)
        case "templates":
            return catTemplates(rest.count > 1 ? rest[1] : nil, params: params)
        case "allocation":
            return catAllocation(params: params)
        case "count":
            let indices = rest.count > 1 ? try store.resolve(rest[1]) : store.allIndices
            let total = indices.reduce(0) { $0 + $1.stats.docs }
            let now = Int64(Date().timeIntervalSince1970)
            return CatTable.render([[("epoch", String(now)), ("timestamp", Self.hms(now)), ("count", String(total))]], params: params)
        default:
            return ESResponse.text(.ok, "=^.^=\n/_cat/health\n/_cat/indices\n/_cat/indices/{index}\n/_cat/count\n/_cat/count/{index}\n/_cat/templates\n/_cat/allocation\n/_cat/aliases\n/_cat/aliases/{alias}\n")
        }
    }

    static func hms(_ epoch: Int64) -> String {
        let s = epoch % 86400
        return String(format: "%02lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60)
    }
}

/// `_cat` output: aligned text (`?v` for headers, `?h=` to pick columns) or `?format=json`.
enum CatTable {
    static func render(_ rows: [[(String, Any)]], params: [String: String], defaultColumns: [String]? = nil) -> Response {
        let all = rows.first?.map { $0.0 } ?? defaultColumns ?? []
        var cols = defaultColumns ?? all
        if let h = params["h"] { cols = h.split(separator: ",").map(String.init).filter { all.contains($0) || defaultColumns == nil } }
        if params["format"] == "json" {
            let objs: [[(String, Any)]] = rows.map { r in cols.compactMap { c in r.first { $0.0 == c } } }
            return ESResponse.json(.ok, objs.map { $0 as Any })
        }
        var table: [[String]] = []
        if params.flag("v") { table.append(cols) }
        for r in rows { table.append(cols.map { c in r.first { $0.0 == c }.map { "\($0.1)" } ?? "" }) }
        let widths = cols.indices.map { i in table.map { $0[i].count }.max() ?? 0 }
        let text = table.map { row in row.enumerated().map { i, v in v.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: " ").trimmingCharacters(in: .whitespaces) }
            .joined(separator: "\n")
        return ESResponse.text(.ok, table.isEmpty ? "" : text + "\n")
    }

    static func size(_ bytes: Int64, _ params: [String: String]) -> String {
        if params["bytes"] == "b" { return String(bytes) }
        let units = ["b", "kb", "mb", "gb", "tb"]
        var v = Double(bytes), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(bytes)b" : String(format: "%.1f%@", v, units[u])
    }
}
