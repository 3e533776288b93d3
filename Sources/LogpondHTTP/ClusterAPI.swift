import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

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

    func info() -> Response { ESResponse.json(.ok, infoBody) }

    static func renderInfo(_ config: ServerConfig, clusterUUID: String) -> [UInt8] {
        let body: [(String, Any)] = [
            ("name", config.nodeName), ("cluster_name", config.clusterName), ("cluster_uuid", clusterUUID),
            ("version", [("number", config.versionNumber), ("build_flavor", "default"), ("build_type", "tar"), ("build_hash", "logpond"),
                         ("build_date", "2026-11-28T00:00:00.000Z"), ("build_snapshot", false), ("lucene_version", "8.11.1"),
                         ("minimum_wire_compatibility_version", "6.8.0"), ("minimum_index_compatibility_version", "6.0.0-beta1")] as [(String, Any)]),
            ("tagline", "You Know, for Search"),
        ]
        var w = JSONWriter()
        w.any(body)
        return w.bytes
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

    static func hms(_ epoch: Int64) -> String {
        let s = epoch % 86400
        return String(format: "%02lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60)
    }
}
