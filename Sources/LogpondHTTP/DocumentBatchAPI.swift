import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// Many documents at once: `_mget` and `_delete_by_query`.
extension API {
    /// `GET|POST [/{index}]/_mget`: `docs` (`_index`, `_id`, `_source` true/false) or `ids`.
    func mget(defaultIndex: String?, body: [UInt8], params: [String: String]) throws -> Response {
        guard let json = try parseJSONBody(body) as? [String: Any] else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: no documents to get;")
        }
        var wanted: [(index: String?, id: String, source: Bool)] = []
        let sourceParam = try Param.bool(params["_source"], "_source") ?? true
        if let docs = json["docs"] as? [Any] {
            for d in docs {
                guard let o = d as? [String: Any], let id = o["_id"].map({ "\($0)" }) else {
                    throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: id is missing for doc \(wanted.count);")
                }
                var src = sourceParam
                if let s = o["_source"] {
                    guard let b = s as? Bool else { throw ESError(400, "illegal_argument_exception", "[_source] of an _mget doc must be true or false") }
                    src = b
                }
                wanted.append(((o["_index"] as? String) ?? defaultIndex, id, src))
            }
        } else if let ids = json["ids"] as? [Any] {
            for i in ids { wanted.append((defaultIndex, "\(i)", sourceParam)) }
        }
        guard !wanted.isEmpty else { throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: no documents to get;") }
        guard wanted.count <= Limits.maxMgetDocs else {
            throw ESError(400, "illegal_argument_exception", "an _mget asks for at most \(Limits.maxMgetDocs) documents, got \(wanted.count); split the request")
        }
        var w = JSONWriter()
        w.raw("{\"docs\":[")
        for (n, d) in wanted.enumerated() {
            if n > 0 { w.comma() }
            guard let index = d.index else {
                throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: index is missing for doc \(n);")
            }
            do {
                let idx = try singleIndex(index)
                if let hit = try idx.get(id: d.id) {
                    w.raw("{\"_index\":"); w.string(hit.index); w.raw(",\"_type\":\"_doc\",\"_id\":"); w.string(hit.id)
                    w.raw(",\"_version\":"); w.int(hit.version); w.raw(",\"_seq_no\":"); w.int(hit.seq)
                    w.raw(",\"_primary_term\":1,\"found\":true")
                    if d.source { w.raw(",\"_source\":"); w.raw(hit.source) }
                    w.raw("}")
                } else {
                    w.raw("{\"_index\":"); w.string(idx.name); w.raw(",\"_type\":\"_doc\",\"_id\":"); w.string(d.id); w.raw(",\"found\":false}")
                }
            } catch {
                let e = ErrorMapping.es(error)
                w.raw("{\"_index\":"); w.string(index); w.raw(",\"_type\":\"_doc\",\"_id\":"); w.string(d.id)
                w.raw(",\"error\":{\"root_cause\":[{\"type\":"); w.string(e.type); w.raw(",\"reason\":"); w.string(e.reason)
                w.raw("}],\"type\":"); w.string(e.type); w.raw(",\"reason\":"); w.string(e.reason); w.raw("}}")
            }
        }
        w.raw("]}")
        return ESResponse.json(.ok, w.bytes)
    }

    /// `POST /{index}/_delete_by_query`: the matching documents of the indices as they are
    /// now (a snapshot, as Elasticsearch's scroll), deleted in batches through the durable write
    /// path, each guarded by the `_seq_no` it was found with: a document changed meanwhile is a
    /// version conflict (`conflicts=proceed` counts and goes on; `abort`, the default, stops).
    func deleteByQuery(targets: String, body: [UInt8], params: [String: String], started: UInt64) async throws -> Response {
        var json = try parseJSONBody(body) as? [String: Any] ?? [:]
        for k in json.keys where k != "query" && k != "max_docs" {
            throw ESError(400, "x_content_parse_exception", "[delete_by_query] unknown field [\(EngineError.clip(k, max: 64))]")
        }
        let proceed: Bool
        switch params["conflicts"] ?? "abort" {
        case "abort": proceed = false
        case "proceed": proceed = true
        case let c: throw ESError(400, "illegal_argument_exception", "conflicts may only be \"proceed\" or \"abort\" but was [\(EngineError.clip(c, max: 32))]")
        }
        let maxDocs = try Param.int(json["max_docs"] ?? params["max_docs"], "max_docs", min: 1) ?? Int.max
        let batch = try Param.int(params["scroll_size"], "scroll_size", min: 1, max: Limits.deleteByQueryBatch) ?? Limits.deleteByQueryBatch
        json["max_docs"] = nil
        let refresh = try URLParams.refresh(params)
        var searchParams: [String: String] = [:]
        for k in ["q", "df", "default_operator", "analyzer", "lenient"] { if let v = params[k] { searchParams[k] = v } }
        var deleted = 0, conflicts = 0, batches = 0, total = 0
        var failures: [(index: String, id: String, error: ESError)] = []
        let snaps = try snapshots(targets, params)
        defer { store.searchFinished(snaps) }
        outer: for snap in snaps {
            var after: Any? = nil
            while deleted + conflicts < maxDocs {
                var req: [String: Any] = ["size": min(batch, maxDocs - deleted - conflicts), "sort": ["_doc"], "_source": false, "seq_no_primary_term": true,
                                          "track_total_hits": false]
                if let q = json["query"] { req["query"] = q }
                if let a = after { req["search_after"] = [a] }
                let r = try SearchRequest.parse(body: req, params: searchParams)
                let page = try Searcher().search(r, [snap], took: { 0 })
                guard let hits = ((try JSONSerialization.jsonObject(with: Data(page)) as? [String: Any])?["hits"] as? [String: Any])?["hits"] as? [[String: Any]],
                      !hits.isEmpty else { break }
                after = (hits.last?["sort"] as? [Any])?.first
                total += hits.count
                batches += 1
                let ops = hits.compactMap { h -> WriteOp? in
                    guard let id = h["_id"] as? String, let seq = (h["_seq_no"] as? NSNumber)?.int64Value else { return nil }
                    return WriteOp(action: .delete, index: snap.name, id: id, source: [], conditions: WriteConditions(ifSeqNo: seq, ifPrimaryTerm: 1))
                }
                let results = try await store.write(ops, refresh: refresh)
                for (op, res) in zip(ops, results) {
                    switch res {
                    case .success(let w) where w.outcome == .deleted: deleted += 1
                    case .success: conflicts += 1   // gone since the snapshot
                    case .failure(let e):
                        let es = ErrorMapping.engine(e)
                        if es.status == 409 {
                            conflicts += 1
                            if proceed { continue }
                        }
                        failures.append((snap.name, op.id ?? "", es))
                        break outer
                    }
                }
                if after == nil { break }
            }
        }
        var w = JSONWriter()
        w.raw("{\"took\":"); w.int(tookMillis(started)); w.raw(",\"timed_out\":false,\"total\":"); w.int(total)
        w.raw(",\"deleted\":"); w.int(deleted); w.raw(",\"batches\":"); w.int(batches); w.raw(",\"version_conflicts\":"); w.int(conflicts)
        w.raw(",\"noops\":0,\"retries\":{\"bulk\":0,\"search\":0},\"throttled_millis\":0,\"requests_per_second\":-1.0,\"throttled_until_millis\":0,\"failures\":[")
        for (i, f) in failures.enumerated() {
            if i > 0 { w.comma() }
            w.raw("{\"index\":"); w.string(f.index); w.raw(",\"id\":"); w.string(f.id)
            w.raw(",\"cause\":{\"type\":"); w.string(f.error.type); w.raw(",\"reason\":"); w.string(f.error.reason)
            w.raw("},\"status\":"); w.int(f.error.status); w.raw("}")
        }
        w.raw("]}")
        // As Elasticsearch: the status of the first failure, 200 when there was none.
        return ESResponse.json(HTTPResponse.Status(code: failures.first?.error.status ?? 200), w.bytes)
    }
}
