import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// `_cat/*`: health, indices, count, templates, allocation, aliases, shards, segments.
extension API {
    /// Parameters every `_cat` endpoint takes; anything else is a 400, as Elasticsearch answers.
    static let catParams: Set<String> = ["format", "h", "help", "v", "s", "bytes", "time", "local", "master_timeout", "expand_wildcards",
                                         "health", "pri", "include_unloaded_segments", "pretty", "human", "error_trace", "filter_path", "ts"]

    func cat(_ rest: [String], params: [String: String]) throws -> Response {
        if let bad = params.keys.sorted().first(where: { !Self.catParams.contains($0) }) {
            throw ESError(400, "illegal_argument_exception", "request [/_cat/\(EngineError.clip(rest.joined(separator: "/"), max: 128))] contains unrecognized parameter: [\(EngineError.clip(bad, max: 64))]")
        }
        if let b = params["bytes"], CatBytes.divisor(b) == nil {
            throw ESError(400, "illegal_argument_exception", "failed to parse [bytes] value [\(String(b.prefix(16)))]: use b, kb, mb, gb, tb or pb")
        }
        switch rest.first {
        case "health":
            let n = store.allIndices.count
            let now = Int64(Date().timeIntervalSince1970)
            let row: [(String, Any)] = [("epoch", String(now)), ("timestamp", Self.hms(now)), ("cluster", config.clusterName), ("status", store.isDamaged ? "red" : "green"),
                                        ("node.total", "1"), ("node.data", "1"), ("shards", String(n)), ("pri", String(n)), ("relo", "0"),
                                        ("init", "0"), ("unassign", "0"), ("pending_tasks", "0"), ("max_task_wait_time", "-"), ("active_shards_percent", "100.0%")]
            return try CatTable.render([row], params: params)
        case "indices":
            if let h = params["health"], !["green", "yellow", "red"].contains(h) {
                throw ESError(400, "illegal_argument_exception", "unknown health [\(EngineError.clip(h, max: 32))]; use green, yellow or red")
            }
            let indices = try store.resolve(rest.count > 1 ? rest[1] : "_all", expandWildcards: expand(params, default: ["all"]))
            let rows: [[(String, Any)]] = indices.compactMap { idx in
                let st = idx.stats
                let closed = idx.currentState == "close"
                let health = closed ? "" : idx.brokenSegments.isEmpty ? "green" : "red"
                if let want = params["health"], want != health { return nil }
                return [("health", health), ("status", idx.currentState), ("index", idx.name), ("uuid", idx.uuid), ("pri", "1"), ("rep", "0"),
                        ("docs.count", String(st.docs)), ("docs.deleted", String(st.deleted)), ("store.size", CatBytes(st.storeBytes)),
                        ("pri.store.size", CatBytes(st.storeBytes)), ("creation.date", String(idx.creationDate)),
                        ("creation.date.string", DateParser.format(millis: idx.creationDate))]
            }
            return try CatTable.render(rows, params: params, defaultColumns: ["health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted", "store.size", "pri.store.size"])
        case "shards":
            let indices = try store.resolve(rest.count > 1 ? rest[1] : "_all", expandWildcards: ["open"])
            let rows: [[(String, Any)]] = indices.map { idx in
                let st = idx.stats
                return [("index", idx.name), ("shard", "0"), ("prirep", "p"), ("state", "STARTED"), ("docs", String(st.docs)),
                        ("store", CatBytes(st.storeBytes)), ("ip", config.host), ("node", config.nodeName)]
            }
            return try CatTable.render(rows, params: params, defaultColumns: ["index", "shard", "prirep", "state", "docs", "store", "ip", "node"])
        case "segments":
            let indices = try store.resolve(rest.count > 1 ? rest[1] : "_all", expandWildcards: ["open"])
            var rows: [[(String, Any)]] = []
            for idx in indices {
                for seg in idx.segmentInfos {
                    rows.append([("index", idx.name), ("shard", "0"), ("prirep", "p"), ("ip", config.host), ("id", config.nodeName),
                                 ("segment", "_" + String(seg.id, radix: 36)), ("generation", String(seg.id)), ("docs.count", String(seg.docs)),
                                 ("docs.deleted", String(seg.deleted)), ("size", CatBytes(seg.bytes)), ("size.memory", String(seg.memoryBytes)),
                                 ("committed", String(seg.committed)), ("searchable", "true"), ("version", "logpond-\(SegmentFormat.version)"),
                                 ("compound", "true")])
                }
            }
            return try CatTable.render(rows, params: params, defaultColumns: ["index", "shard", "prirep", "ip", "segment", "generation", "docs.count",
                                                                               "docs.deleted", "size", "size.memory", "committed", "searchable", "version", "compound"])
        case "aliases":
            return try catAliases(rest.count > 1 ? rest[1] : nil, params: params)
        case "templates":
            return try catTemplates(rest.count > 1 ? rest[1] : nil, params: params)
        case "allocation":
            return try catAllocation(params: params)
        case "count":
            let indices = rest.count > 1 ? try store.resolve(rest[1]) : store.allIndices
            let total = indices.reduce(0) { $0 + $1.stats.docs }
            let now = Int64(Date().timeIntervalSince1970)
            return try CatTable.render([[("epoch", String(now)), ("timestamp", Self.hms(now)), ("count", String(total))]], params: params)
        default:
            return ESResponse.text(.ok, "=^.^=\n" + ["health", "indices", "indices/{index}", "count", "count/{index}", "templates", "allocation",
                                                    "aliases", "aliases/{alias}", "shards", "shards/{index}", "segments", "segments/{index}"]
                .map { "/_cat/" + $0 + "\n" }.joined())
        }
    }
}

/// A size in a `_cat` row: shown in `?bytes=` units (or human-readable), sorted by its value.
struct CatBytes {
    let n: Int64
    init(_ n: Int64) { self.n = n }

    static func divisor(_ unit: String) -> Int64? {
        switch unit {
        case "b": return 1
        case "k", "kb": return 1 << 10
        case "m", "mb": return 1 << 20
        case "g", "gb": return 1 << 30
        case "t", "tb": return 1 << 40
        case "p", "pb": return 1 << 50
        default: return nil
        }
    }

    func text(_ params: [String: String]) -> String {
        if let u = params["bytes"], let d = Self.divisor(u) { return String(n / d) }
        let units = ["b", "kb", "mb", "gb", "tb"]
        var v = Double(n), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n)b" : String(format: "%.1f%@", v, units[u])
    }
}

/// `_cat` output: aligned text (`?v` for headers, `?h=` to pick columns, `?s=` to sort) or
/// `?format=json`.
enum CatTable {
    static func render(_ rows: [[(String, Any)]], params: [String: String], defaultColumns: [String]? = nil) throws -> Response {
        let all = rows.first?.map { $0.0 } ?? defaultColumns ?? []
        var cols = defaultColumns ?? all
        if let h = params["h"] { cols = h.split(separator: ",").map(String.init).filter { all.contains($0) || defaultColumns == nil } }
        func text(_ v: Any) -> String { (v as? CatBytes)?.text(params) ?? "\(v)" }
        var sorted = rows
        if let s = params["s"] {
            // `s=col[:asc|:desc],…`: numbers (and sizes) by value, the rest as text.
            var keys: [(String, Bool)] = []
            for part in s.split(separator: ",") {
                let bits = part.split(separator: ":", maxSplits: 1).map(String.init)
                guard let c = bits.first, all.contains(c) || rows.isEmpty else {
                    throw ESError(400, "unsupported_operation_exception", "Unable to sort by unknown sort key `\(EngineError.clip(bits.first ?? "", max: 64))`")
                }
                keys.append((c, bits.count > 1 && bits[1] == "desc"))
            }
            func value(_ r: [(String, Any)], _ c: String) -> (Double?, String) {
                guard let v = r.first(where: { $0.0 == c })?.1 else { return (nil, "") }
                if let b = v as? CatBytes { return (Double(b.n), "") }
                let t = "\(v)"
                return (Double(t), t)
            }
            sorted.sort { a, b in
                for (c, desc) in keys {
                    let x = value(a, c), y = value(b, c)
                    if let p = x.0, let q = y.0, p != q { return desc ? p > q : p < q }
                    if x.0 == nil || y.0 == nil, x.1 != y.1 { return desc ? x.1 > y.1 : x.1 < y.1 }
                }
                return false
            }
        }
        if params["format"] == "json" {
            let objs: [[(String, Any)]] = sorted.map { r in cols.compactMap { c in r.first { $0.0 == c }.map { ($0.0, text($0.1) as Any) } } }
            return ESResponse.json(.ok, objs.map { $0 as Any })
        }
        var table: [[String]] = []
        if params.flag("v") { table.append(cols) }
        for r in sorted { table.append(cols.map { c in r.first { $0.0 == c }.map { text($0.1) } ?? "" }) }
        let widths = cols.indices.map { i in table.map { $0[i].count }.max() ?? 0 }
        let out = table.map { row in row.enumerated().map { i, v in v.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: " ").trimmingCharacters(in: .whitespaces) }
            .joined(separator: "\n")
        return ESResponse.text(.ok, table.isEmpty ? "" : out + "\n")
    }
}
