import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// Single-document endpoints: index, get, delete.
extension API {
    func indexDoc(_ index: String, id: String?, create: Bool, body: [UInt8], params: [String: String]) async throws -> Response {
        guard !body.isEmpty else { throw ESError(400, "parse_exception", "request body is required") }
        let op = WriteOp(action: create ? .create : .index, index: index, id: id, source: body,
                         conditions: try WriteParams.conditions(params, action: create ? "create" : "index"))
        let refresh = try URLParams.refresh(params)
        let results = try await store.write([op], refresh: refresh)
        switch results[0] {
        case .failure(let e): throw e
        case .success(let r):
            let status: HTTPResponse.Status = r.outcome == .created ? .created : .ok
            return ESResponse.json(status, writeBody(r))
        }
    }

    func writeBody(_ r: WriteResult) -> [(String, Any)] {
        let shards = r.outcome == .noop ? 0 : 1
        return [("_index", r.index), ("_type", "_doc"), ("_id", r.id), ("_version", r.version), ("result", r.outcome.rawValue),
                ("_shards", [("total", shards), ("successful", shards), ("failed", 0)] as [(String, Any)]), ("_seq_no", r.seq), ("_primary_term", 1)]
    }

    /// The one index a single-document operation on `name` reaches: the index, or the only
    /// index of an alias (Elasticsearch refuses an alias of several).
    func singleIndex(_ name: String) throws -> Index {
        if let i = store.index(named: name) { return i }
        guard let members = store.aliasMembers(name) else { throw EngineError.indexNotFound(name) }
        guard members.count == 1, let i = store.index(named: members[0].index) else {
            throw ESError(400, "illegal_argument_exception", "alias [\(EngineError.clip(name))] has more than one index associated with it [\(members.map { $0.index }.joined(separator: ", "))], can't execute a single index op")
        }
        return i
    }

    func getDoc(_ index: String, id: String) throws -> Response {
        let idx = try singleIndex(index)
        guard let hit = try idx.get(id: id) else {
            return ESResponse.json(.notFound, [("_index", index), ("_type", "_doc"), ("_id", id), ("found", false)] as [(String, Any)])
        }
        var w = JSONWriter()
        w.raw("{\"_index\":"); w.string(hit.index); w.raw(",\"_type\":\"_doc\",\"_id\":"); w.string(hit.id)
        w.raw(",\"_version\":"); w.int(hit.version); w.raw(",\"_seq_no\":"); w.int(hit.seq)
        w.raw(",\"_primary_term\":1,\"found\":true,\"_source\":"); w.raw(hit.source); w.raw("}")
        return ESResponse.json(.ok, w.bytes)
    }

    func deleteDoc(_ index: String, id: String, params: [String: String]) async throws -> Response {
        let target = try singleIndex(index)
        let results = try await store.write([WriteOp(action: .delete, index: target.name, id: id, source: [],
                                                     conditions: try WriteParams.conditions(params, action: "delete"))],
                                            refresh: try URLParams.refresh(params))
        switch results[0] {
        case .failure(let e): throw e
        case .success(let r): return ESResponse.json(r.outcome == .notFound ? .notFound : .ok, writeBody(r))
        }
    }

    /// `POST /{index}/_update/{id}`: a partial document merged into the stored one, or an
    /// upsert; `if_seq_no`/`if_primary_term` as for index.
    func updateDoc(_ index: String, id: String, body: [UInt8], params: [String: String]) async throws -> Response {
        let spec = try WriteParams.update(body)
        let op = WriteOp(action: .update, index: index, id: id, source: [], conditions: try WriteParams.conditions(params, action: "update"), update: spec)
        let results = try await store.write([op], refresh: try URLParams.refresh(params))
        switch results[0] {
        case .failure(let e): throw e
        case .success(let r): return ESResponse.json(r.outcome == .created ? .created : .ok, writeBody(r))
        }
    }
}
