import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// `GET /_logpond/tail?index=…&q=…`: matching documents as they become searchable, as
/// Server-Sent Events (`event: doc`, data `{"_index","_id","_source"}`). Each second the newest
/// matches (by `@timestamp`, from a minute before the tail began) are searched and those not
/// sent yet are written, oldest first. Memory per connection is one page of hits and the ids
/// sent in the last minutes; a reader that cannot take a page within
/// `Limits.tailSlowReaderSeconds` is dropped with a final `event: end` saying why.
extension API {
    func tail(params: [String: String]) throws -> Response {
        let index = params["index"] ?? "logstash-*"
        let q = params["q"] ?? ""
        _ = try SearchRequest.parse(body: Self.tailBody(q, since: 0), params: [:])   // a bad query fails now, as a 400
        var h = HTTPFields()
        h[.contentType] = "text/event-stream; charset=utf-8"
        h[.cacheControl] = "no-cache"
        let started = Int64(Date().timeIntervalSince1970 * 1000)
        let api = self
        return Response(status: .ok, headers: h, body: ResponseBody { writer in
            var sent: [String: Int64] = [:]
            var lastBeat = Date()
            try await writer.write(ByteBuffer(string: ": logpond tail of \(index)\n\n"))
            while !Task.isCancelled {
                // Through the search pool like any search: many tails cannot take more threads
                // than `thread_pool.search.size`, and a full queue skips this second.
                let hits = (try? await api.searchPool.run { try api.tailPage(index: index, q: q, since: started - 60_000) }) ?? []
                var fresh: [(Int64, [String: Any])] = []
                for h in hits {
                    guard let id = h["_id"] as? String, sent[id] == nil else { continue }
                    let ts = (h["sort"] as? [Any])?.first.flatMap { ($0 as? NSNumber)?.int64Value } ?? 0
                    sent[id] = ts
                    fresh.append((ts, h))
                }
                if !fresh.isEmpty {
                    var out = ""
                    for (_, h) in fresh.sorted(by: { $0.0 < $1.0 }) {
                        let ev: [String: Any] = ["_index": h["_index"] ?? "", "_id": h["_id"] ?? "", "_source": h["_source"] ?? [:]]
                        let data = (try? JSONSerialization.data(withJSONObject: ev)) ?? Data("{}".utf8)
                        out += "event: doc\ndata: " + String(decoding: data, as: UTF8.self) + "\n\n"
                    }
                    let t0 = Date()
                    try await writer.write(ByteBuffer(string: out))
                    if Date().timeIntervalSince(t0) > Limits.tailSlowReaderSeconds {
                        try await writer.write(ByteBuffer(string: "event: end\ndata: {\"reason\":\"the reader is too slow for the matches arriving; narrow the query or reconnect\"}\n\n"))
                        return
                    }
                    lastBeat = Date()
                }
                // Ids older than five minutes before the newest are forgotten (bounded memory).
                if sent.count > Limits.tailRememberedIDs {
                    let cut = (sent.values.max() ?? 0) - 300_000
                    sent = sent.filter { $0.value >= cut }
                    if sent.count > Limits.tailRememberedIDs { sent.removeAll() }
                }
                if Date().timeIntervalSince(lastBeat) > 15 {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastBeat = Date()
                }
                try await Task.sleep(nanoseconds: 1_000_000_000)
            }
        })
    }

    static func tailBody(_ q: String, since: Int64) -> [String: Any] {
        let must: [Any] = q.isEmpty ? [["match_all": [String: Any]()]] : [["query_string": ["query": q, "default_operator": "AND"]]]
        return ["size": Limits.tailPage, "sort": [["@timestamp": ["order": "desc", "unmapped_type": "date"]]],
                "query": ["bool": ["must": must, "filter": [["range": ["@timestamp": ["gte": since, "format": "epoch_millis"]]]]]]]
    }

    func tailPage(index: String, q: String, since: Int64) throws -> [[String: Any]] {
        let req = try SearchRequest.parse(body: Self.tailBody(q, since: since), params: [:])
        let snaps = try snapshots(index, ["ignore_unavailable": "true", "allow_no_indices": "true"])
        defer { store.searchFinished(snaps) }
        let bytes = try runSearch(req, snaps, started: Clock.now())
        let obj = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        return (obj?["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
    }
}
