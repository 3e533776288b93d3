import LogpondEngine
import LogpondQuery

extension API {
    /// Writes `"aggregations"` after the hits when the request has any (see Aggregations).
    func aggregationWriter(_ req: SearchRequest, _ snaps: [IndexSnapshot]) -> ((inout JSONWriter) throws -> Void)? {
        guard let aggs = req.aggregations, !aggs.isEmpty else { return nil }
        return { w in
            let memory = MemoryAccount(requestBreaker)
            defer {
                memory.close()
                if memory.peak >= HeapTrim.afterBytes { HeapTrim.soon() }
            }
            let result = try AggregationRunner(request: req, snapshots: snaps, memory: memory).run(aggs)
            w.raw(",\"aggregations\":")
            w.raw(result)
        }
    }
}
