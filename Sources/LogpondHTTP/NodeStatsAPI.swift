import Foundation
import Hummingbird
import LogpondEngine

/// `_nodes/stats` (fs, indexing_pressure, thread_pool, breakers, process) and
/// `_cat/allocation`, in Elasticsearch's shapes: what an operator looks at when writes get 429.
extension API {
    func nodeStats() -> Response {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let indices = store.allIndices.map { $0.stats }
        let disk = store.disk.usage ?? DiskUsage(total: 0, available: 0, free: 0)
        let fsEntry: [(String, Any)] = [("total_in_bytes", disk.total), ("free_in_bytes", disk.free), ("available_in_bytes", disk.available)]
        let (cur, total, rejections) = store.pressure.stats
        let pressure: [(String, Any)] = [("memory", [
            ("current", [("combined_coordinating_and_primary_in_bytes", cur), ("coordinating_in_bytes", cur), ("primary_in_bytes", cur),
                         ("replica_in_bytes", 0), ("all_in_bytes", cur)] as [(String, Any)]),
            ("total", [("combined_coordinating_and_primary_in_bytes", total), ("coordinating_in_bytes", total), ("primary_in_bytes", total),
                       ("replica_in_bytes", 0), ("all_in_bytes", total), ("coordinating_rejections", rejections),
                       ("primary_rejections", 0), ("replica_rejections", 0)] as [(String, Any)]),
            ("limit_in_bytes", store.pressure.limitBytes)] as [(String, Any)])]
        func breaker(_ b: MemoryBreaker) -> [(String, Any)] {
            let st = b.stats
            return [("limit_size_in_bytes", b.limitBytes), ("limit_size", ByteSize.format(b.limitBytes)),
                    ("estimated_size_in_bytes", st.estimated), ("estimated_size", ByteSize.format(st.estimated)),
                    ("overhead", 1.0), ("tripped", st.tripped)]
        }
        let rss = Self.residentBytes()
        let node: [(String, Any)] = [
            ("timestamp", now), ("name", config.nodeName), ("host", config.host), ("ip", config.host),
            ("roles", ["data", "ingest", "master"]),
            ("indices", [("docs", [("count", indices.reduce(0) { $0 + $1.docs }), ("deleted", indices.reduce(0) { $0 + $1.deleted })] as [(String, Any)]),
                         ("store", [("size_in_bytes", indices.reduce(Int64(0)) { $0 + $1.storeBytes })] as [(String, Any)])] as [(String, Any)]),
            ("fs", [("timestamp", now), ("total", fsEntry),
                    ("data", [[("path", store.options.dataPath)] + fsEntry]),
                    ("watermark", [("level", store.disk.currentLevel.description), ("read_only_allow_delete", store.disk.isBlocked),
                                   ("low", store.disk.watermarks.low.description), ("high", store.disk.watermarks.high.description),
                                   ("flood_stage", store.disk.watermarks.floodStage.description),
                                   ("reserve_present", store.disk.hasReserve)] as [(String, Any)])] as [(String, Any)]),
            ("indexing_pressure", pressure),
            ("thread_pool", [("search", searchPool.stats)] as [(String, Any)]),
            ("breakers", [("request", breaker(requestBreaker)), ("in_flight_requests", breaker(inflightBreaker))] as [(String, Any)]),
            ("process", [("timestamp", now), ("mem", [("resident_in_bytes", rss)] as [(String, Any)])] as [(String, Any)]),
        ]
        let body: [(String, Any)] = [("_nodes", [("total", 1), ("successful", 1), ("failed", 0)] as [(String, Any)]),
                                     ("cluster_name", config.clusterName), ("nodes", [(nodeID, node as Any)])]
        return ESResponse.json(.ok, body)
    }

    func catAllocation(params: [String: String]) throws -> Response {
        let indices = store.allIndices
        let d = store.disk.usage ?? DiskUsage(total: 0, available: 0, free: 0)
        let used = indices.reduce(Int64(0)) { $0 + $1.stats.storeBytes }
        let row: [(String, Any)] = [("shards", String(indices.filter { $0.currentState == "open" }.count)),
                                    ("disk.indices", CatBytes(used)), ("disk.used", CatBytes(d.used)),
                                    ("disk.avail", CatBytes(d.available)), ("disk.total", CatBytes(d.total)),
                                    ("disk.percent", String(Int(d.usedPercent.rounded(.down)))), ("host", config.host), ("ip", config.host),
                                    ("node", config.nodeName)]
        return try CatTable.render([row], params: params)
    }

    /// Resident memory of this process (`/proc/self/statm`), 0 where it cannot be read.
    static func residentBytes() -> Int64 {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let parts = s.split(separator: " ")
        guard parts.count > 1, let pages = Int64(parts[1]) else { return 0 }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
