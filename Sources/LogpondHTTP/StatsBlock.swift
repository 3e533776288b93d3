import Foundation
import LogpondEngine

/// One index's (or the sum's) `_stats` metrics in Elasticsearch's shape. Only what Logpond
/// measures is reported; times are milliseconds.
struct StatsBlock {
    var docs = 0, deleted = 0, storeBytes: Int64 = 0, segments = 0, segmentMemory = 0
    var c = IndexCounters.Snapshot()

    init() {}

    init(_ i: Index) {
        let st = i.stats
        docs = st.docs; deleted = st.deleted; storeBytes = st.storeBytes; segments = st.segments; segmentMemory = st.segmentMemoryBytes
        c = i.counters.snapshot
    }

    mutating func add(_ o: StatsBlock) {
        docs &+= o.docs; deleted &+= o.deleted; storeBytes &+= o.storeBytes; segments &+= o.segments; segmentMemory &+= o.segmentMemory
        c.indexTotal &+= o.c.indexTotal; c.indexFailed &+= o.c.indexFailed; c.deleteTotal &+= o.c.deleteTotal
        c.noopUpdateTotal &+= o.c.noopUpdateTotal; c.indexTimeNanos &+= o.c.indexTimeNanos
        c.queryTotal &+= o.c.queryTotal; c.fetchTotal &+= o.c.fetchTotal; c.scrollTotal &+= o.c.scrollTotal
        c.queryTimeNanos &+= o.c.queryTimeNanos; c.scrollTimeNanos &+= o.c.scrollTimeNanos
        c.flushTotal &+= o.c.flushTotal; c.refreshTotal &+= o.c.refreshTotal
        c.translogOps &+= o.c.translogOps; c.translogBytes &+= o.c.translogBytes
    }

    func json(_ wants: (String) -> Bool) -> [(String, Any)] {
        func ms(_ n: UInt64) -> Int { Int(n / 1_000_000) }
        var o: [(String, Any)] = []
        if wants("docs") { o.append(("docs", [("count", docs), ("deleted", deleted)] as [(String, Any)])) }
        if wants("store") {
            o.append(("store", [("size_in_bytes", storeBytes), ("total_data_set_size_in_bytes", storeBytes), ("reserved_in_bytes", 0)] as [(String, Any)]))
        }
        if wants("indexing") {
            o.append(("indexing", [("index_total", c.indexTotal), ("index_time_in_millis", ms(c.indexTimeNanos)), ("index_current", 0),
                                   ("index_failed", c.indexFailed), ("delete_total", c.deleteTotal), ("delete_time_in_millis", 0), ("delete_current", 0),
                                   ("noop_update_total", c.noopUpdateTotal), ("is_throttled", false), ("throttle_time_in_millis", 0)] as [(String, Any)]))
        }
        if wants("search") {
            o.append(("search", [("open_contexts", 0), ("query_total", c.queryTotal), ("query_time_in_millis", ms(c.queryTimeNanos)), ("query_current", 0),
                                 ("fetch_total", c.fetchTotal), ("fetch_time_in_millis", 0), ("fetch_current", 0),
                                 ("scroll_total", c.scrollTotal), ("scroll_time_in_millis", ms(c.scrollTimeNanos)), ("scroll_current", 0),
                                 ("suggest_total", 0), ("suggest_time_in_millis", 0), ("suggest_current", 0)] as [(String, Any)]))
        }
        if wants("refresh") {
            o.append(("refresh", [("total", c.refreshTotal), ("total_time_in_millis", 0), ("external_total", c.refreshTotal),
                                  ("external_total_time_in_millis", 0), ("listeners", 0)] as [(String, Any)]))
        }
        if wants("flush") { o.append(("flush", [("total", c.flushTotal), ("periodic", 0), ("total_time_in_millis", 0)] as [(String, Any)])) }
        if wants("segments") {
            o.append(("segments", [("count", segments), ("memory_in_bytes", segmentMemory), ("index_writer_memory_in_bytes", 0),
                                   ("version_map_memory_in_bytes", 0), ("fixed_bit_set_memory_in_bytes", 0)] as [(String, Any)]))
        }
        if wants("translog") {
            o.append(("translog", [("operations", c.translogOps), ("size_in_bytes", c.translogBytes), ("uncommitted_operations", c.translogOps),
                                   ("uncommitted_size_in_bytes", c.translogBytes), ("earliest_last_modified_age", 0)] as [(String, Any)]))
        }
        return o
    }
}

/// JSON object helpers shared by the alias and stats answers.
enum JSONObject {
    /// Ordered members as an object, `{}` when empty (an empty list of pairs writes `[]`).
    static func of(_ pairs: [(String, Any)]) -> Any { pairs.isEmpty ? [String: Any]() : pairs }
}
