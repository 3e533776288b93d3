import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// `_search` and `_count`.
extension API {
    func parseJSONBody(_ body: [UInt8]) throws -> Any? {
        if body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return nil }
        do { return try JSONSerialization.jsonObject(with: Data(body)) }
        catch { throw ESError(400, "x_content_parse_exception", "request body is not valid JSON; check quotes and commas") }
    }

    func snapshots(_ targets: String, _ params: [String: String]) throws -> [IndexSnapshot] {
        let indices = try store.resolve(targets, ignoreUnavailable: params.flag("ignore_unavailable"),
                                        allowNoIndices: params["allow_no_indices"] != "false", expandWildcards: expand(params))
        for i in indices where i.currentState == "close" {
            if params.flag("ignore_unavailable") { continue }
            throw EngineError.indexClosed(i.name)
        }
        return indices.filter { $0.currentState == "open" }.map { store.searchSnapshot($0) }
    }

    func search(targets: String, body: [UInt8], params: [String: String], started: UInt64) async throws -> Response {
        let req = try SearchRequest.parse(body: try parseJSONBody(body), params: params)
        let snaps = try snapshots(targets, params)
        let bytes = try Searcher().search(req, snaps, took: { tookMillis(started) })
        return ESResponse.json(.ok, bytes)
    }

    func count(targets: String, body: [UInt8], params: [String: String]) async throws -> Response {
        let json = try parseJSONBody(body)
        var q: Query = .matchAll
        if let o = json as? [String: Any] {
            for k in o.keys where k != "query" { throw QueryError("parsing_exception", "request does not support [\(k)]") }
            if let qq = o["query"] { q = try QueryParser.parse(qq) }
        }
        if let qs = params["q"] { q = try SearchRequest.parse(body: nil, params: ["q": qs]).query }
        let snaps = try snapshots(targets, params)
        let n = try Searcher().count(q, snaps)
        return ESResponse.json(.ok, [("count", n), ("_shards", [("total", snaps.count), ("successful", snaps.count), ("skipped", 0), ("failed", 0)] as [(String, Any)])] as [(String, Any)])
    }
}
