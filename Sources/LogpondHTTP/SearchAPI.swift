import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// `_search`, `_count`, `_msearch` and scroll.
extension API {
    func parseJSONBody(_ body: [UInt8]) throws -> Any? {
        if body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) { return nil }
        if JSONDepth.exceeds(body, Limits.maxRequestJSONDepth) {
            throw ESError(400, "x_content_parse_exception", "request body nests objects and arrays deeper than \(Limits.maxRequestJSONDepth) levels; flatten the query or aggregation")
        }
        // simdjson is strict (no trailing commas, no comments), as Elasticsearch's parser is.
        do { try body.withUnsafeBytes { buf in try JSONFlattener().flatten(buf) { _, _ in } } }
        catch let e as JSONFlattener.ParseError {
            throw ESError(400, "x_content_parse_exception", "request body is not valid JSON (\(e.description)); check quotes, commas and brackets")
        }
        do { return try JSONSerialization.jsonObject(with: Data(body)) }
        catch { throw ESError(400, "x_content_parse_exception", "request body is not valid JSON: \(JSONErrors.position(body)); check quotes, commas and brackets") }
    }

    /// The indices a search reads, each as a snapshot; one reached only through filtered
    /// aliases has what no filter admits masked out (`AliasFilter`).
    func snapshots(_ targets: String, _ params: [String: String]) throws -> [IndexSnapshot] {
        let resolved = try store.resolveFiltered(targets, ignoreUnavailable: params.flag("ignore_unavailable"),
                                                 allowNoIndices: params["allow_no_indices"] != "false", expandWildcards: expand(params))
        for (i, _) in resolved where i.currentState == "close" {
            if params.flag("ignore_unavailable") { continue }
            throw EngineError.indexClosed(i.name)
        }
        return try resolved.filter { $0.index.currentState == "open" }.map { i, filters in
            let snap = store.searchSnapshot(i)
            guard let filters else { return snap }
            return try AliasFilter.apply(try AliasFilter.parse(filters), to: snap)
        }
    }

    func search(targets: String, body: [UInt8], params: [String: String], started: UInt64, cancelled: (@Sendable () -> Bool)? = nil) throws -> Response {
        var req = try SearchRequest.parse(body: try parseJSONBody(body), params: params)
        req.cancelled = cancelled
        let snaps = try snapshots(targets, params)
        defer { store.searchFinished(snaps) }
        var bytes: [UInt8]
        if let s = params["scroll"] {
            let ka = try ScrollStore.keepAlive(s)
            bytes = try scrolls.start(req, snaps, keepAlive: ka, took: { tookMillis(started) }, extra: aggregationWriter(req, snaps))
        } else {
            bytes = try runSearch(req, snaps, started: started)
        }
        recordSearch(snaps, started: started, scroll: params["scroll"] != nil, fetched: req.size > 0)
        logSlowSearch(snaps, started: started, body: body)
        if let fp = params["filter_path"] { bytes = FilterPath.apply(bytes, fp) }
        return ESResponse.json(.ok, bytes)
    }

    /// Counts a search in each index's `_stats` (query, fetch when hits were asked for,
    /// scroll when it opened one), with the time it took.
    func recordSearch(_ snaps: [IndexSnapshot], started: UInt64, scroll: Bool = false, fetched: Bool = false) {
        let nanos = Clock.elapsed(from: started)
        for s in snaps {
            guard let i = store.index(named: s.name) else { continue }
            i.counters.addSearch(.query, nanos: nanos)
            if scroll { i.counters.addSearch(.scroll, nanos: nanos) }
            if fetched { i.counters.addSearch(.fetch, nanos: 0) }
        }
    }

    /// One search: hits, then aggregations when asked.
    func runSearch(_ req: SearchRequest, _ snaps: [IndexSnapshot], started: UInt64) throws -> [UInt8] {
        try Searcher().search(req, snaps, took: { tookMillis(started) }, extra: aggregationWriter(req, snaps))
    }

    func scroll(body: [UInt8], params: [String: String], method: HTTPRequest.Method, pathID: String?, started: UInt64) throws -> Response {
        let json = try parseJSONBody(body) as? [String: Any] ?? [:]
        if method == .delete {
            var ids: [String]? = pathID.map { $0.split(separator: ",").map(String.init) }
            if let v = json["scroll_id"] { ids = (v as? [Any])?.map { "\($0)" } ?? [String(describing: v)] }
            let n = scrolls.clear(ids)
            return ESResponse.json(n > 0 || ids == nil ? .ok : .notFound, [("succeeded", true), ("num_freed", n)] as [(String, Any)])
        }
        guard let id = (json["scroll_id"] as? String) ?? params["scroll_id"] ?? pathID else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: scrollId is missing;")
        }
        let ka = try ((json["scroll"] as? String) ?? params["scroll"]).map { try ScrollStore.keepAlive($0) }
        var bytes = try scrolls.next(id, keepAlive: ka, took: { tookMillis(started) })
        if let fp = params["filter_path"] { bytes = FilterPath.apply(bytes, fp) }
        return ESResponse.json(.ok, bytes)
    }

    func count(targets: String, body: [UInt8], params: [String: String], cancelled: (@Sendable () -> Bool)? = nil) throws -> Response {
        let json = try parseJSONBody(body)
        var q: Query = .matchAll(boost: 1)
        if let o = json as? [String: Any] {
            for k in o.keys where k != "query" { throw QueryError("parsing_exception", "request does not support [\(k)]") }
            if let qq = o["query"] { q = try QueryParser.parse(qq) }
        }
        _ = try Param.int(params["terminate_after"], "terminate_after")
        if params["q"] != nil { q = try SearchRequest.parse(body: nil, params: params.filter { $0.key != "size" && $0.key != "from" }).query }
        let snaps = try snapshots(targets, params)
        defer { store.searchFinished(snaps) }
        let started = Clock.now()
        let n = try Searcher().count(q, snaps, cancelled: cancelled)
        recordSearch(snaps, started: started)
        // Damaged segments are left out of the count and reported, as search reports them.
        var w = JSONWriter()
        w.raw("{\"count\":"); w.int(n); w.raw(",")
        Searcher.writeShards(&w, snaps)
        w.raw("}")
        return ESResponse.json(.ok, w.bytes)
    }

    /// `_msearch`: header/body line pairs; one response per pair, each with its own status.
    func msearch(defaultTargets: String?, body: [UInt8], params: [String: String], started: UInt64, cancelled: (@Sendable () -> Bool)? = nil) throws -> Response {
        var lines = body.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) }
        while let l = lines.last, l.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { lines.removeLast() }
        guard !lines.isEmpty else { throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;") }
        var w = JSONWriter()
        w.raw("{\"took\":"); let tookAt = w.bytes.count
        w.raw(",\"responses\":[")
        var i = 0, n = 0
        while i < lines.count {
            let header = try parseJSONBody(lines[i]) as? [String: Any] ?? [:]
            let bodyLine = i + 1 < lines.count ? lines[i + 1] : []
            i += 2
            if n > 0 { w.comma() }
            n += 1
            let itemStart = DispatchTime.now().uptimeNanoseconds
            do {
                var p = params
                if let iu = header["ignore_unavailable"] { p["ignore_unavailable"] = "\(iu)" == "1" || "\(iu)" == "true" ? "true" : "false" }
                if let ew = header["expand_wildcards"] { p["expand_wildcards"] = "\(ew)" }
                let targets: String
                switch header["index"] {
                case let s as String: targets = s
                case let a as [Any]: targets = a.map { "\($0)" }.joined(separator: ",")
                default: targets = defaultTargets ?? "_all"
                }
                var req = try SearchRequest.parse(body: try parseJSONBody(bodyLine), params: [:])
                req.cancelled = cancelled
                let snaps = try snapshots(targets, p)
                defer { store.searchFinished(snaps) }
                var item = try runSearch(req, snaps, started: itemStart)
                recordSearch(snaps, started: itemStart, fetched: req.size > 0)
                item.removeLast()   // reopen the object to add the item's status
                w.raw(item); w.raw(",\"status\":200}")
            } catch {
                let e = ErrorMapping.es(error)
                var b = e.body
                b.removeLast()
                w.raw(b); w.raw("}")
            }
        }
        w.raw("]}")
        w.bytes.insert(contentsOf: Array(String(tookMillis(started)).utf8), at: tookAt)
        var bytes = w.bytes
        if let fp = params["filter_path"] { bytes = FilterPath.apply(bytes, fp) }
        return ESResponse.json(.ok, bytes)
    }
}

/// Where Foundation's JSON parser gave up, for error messages.
enum JSONErrors {
    static func position(_ body: [UInt8]) -> String {
        do { _ = try JSONSerialization.jsonObject(with: Data(body)); return "unknown position" }
        catch {
            let text = "\(error)"
            if let r = text.range(of: "around line "), let line = Int(text[r.upperBound...].prefix { $0.isNumber }) {
                return "line \(line)"
            }
            return "malformed"
        }
    }
}
