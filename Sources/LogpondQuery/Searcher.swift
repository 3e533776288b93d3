import Foundation
import LogpondEngine

/// Runs a search over index snapshots: per segment, then merged; `_source` is read only for
/// the page of hits returned.
public struct Searcher {
    public init() {}

    struct Hit {
        var snap: Int
        var seg: Int
        var doc: Int32
        var keys: [SortValue]
    }

    /// A sort key value; nil sorts as missing.
    enum SortValue: Comparable {
        case missing, num(Double), str(String)
        static func < (a: SortValue, b: SortValue) -> Bool {
            switch (a, b) {
            case (.num(let x), .num(let y)): return x < y
            case (.str(let x), .str(let y)): return x < y
            case (.missing, .missing): return false
            case (.missing, _): return false
            case (_, .missing): return true
            case (.num, .str): return true
            case (.str, .num): return false
            }
        }
    }

    /// Counts matching live documents (`_count`, and `hits.total`).
    public func count(_ q: Query, _ snaps: [IndexSnapshot]) throws -> Int {
        var total = 0
        for s in snaps {
            for (seg, dels) in s.segments {
                let sq = SegmentQuery(segment: seg, mapping: s.mapping, analysis: s.analysis)
                if sq.excludedByTime(q) { continue }
                let docs = try sq.docs(q)
                total += dels.map { d in docs.reduce(0) { $0 + (d.contains(Int($1)) ? 0 : 1) } } ?? docs.count
            }
        }
        return total
    }

    /// Executes `r` and renders Elasticsearch's response body.
    public func search(_ r: SearchRequest, _ snaps: [IndexSnapshot], took: () -> Int) throws -> [UInt8] {
        let k = r.from + r.size
        var total = 0
        var candidates: [Hit] = []
        let sortKeys = r.sort.filter { $0.field != "_score" }
        let timeSorted = sortKeys.first?.field == SegmentFormat.timestampField
        let after: [SortValue]? = r.searchAfter.map { values in
            values.map { v -> SortValue in
                switch v {
                case .int(let i): return .num(Double(i))
                case .double(let d): return .num(d)
                case .string(let s): return .str(s)
                case .bool(let b): return .num(b ? 1 : 0)
                case .null: return .missing
                }
            }
        }
        for (si, s) in snaps.enumerated() {
            for (gi, (seg, dels)) in s.segments.enumerated() {
                let sq = SegmentQuery(segment: seg, mapping: s.mapping, analysis: s.analysis)
                if sq.excludedByTime(r.query) { continue }
                var docs = try sq.docs(r.query)
                if let d = dels { docs = docs.filter { !d.contains(Int($0)) } }
                total += docs.count
                if k == 0 || docs.isEmpty { continue }
                // Segments are time-sorted: the newest (or oldest) k are at one end.
                var take = docs[...]
                if timeSorted && r.searchAfter == nil && sortKeys.count == 1 {
                    take = sortKeys[0].descending ? docs.suffix(k) : docs.prefix(k)
                }
                for d in take {
                    let keys = try sortValues(sortKeys, seg, Int(d))
                    if let a = after, !isAfter(keys, a, sortKeys) { continue }
                    candidates.append(Hit(snap: si, seg: gi, doc: d, keys: keys))
                }
                if candidates.count > 4 * k + 1024 { candidates = topK(candidates, sortKeys, k) }
            }
        }
        let top = Array(topK(candidates, sortKeys, k).dropFirst(r.from))
        let scored = r.sort.isEmpty || r.sort.contains { $0.field == "_score" }

        var w = JSONWriter(capacity: 4096)
        w.raw("{\"took\":"); w.int(took()); w.raw(",\"timed_out\":false,")
        Self.writeShards(&w, snaps)
        w.raw(",\"hits\":{\"total\":{\"value\":")
        if let limit = r.trackTotalHits, total > limit { w.int(limit); w.raw(",\"relation\":\"gte\"}") } else { w.int(total); w.raw(",\"relation\":\"eq\"}") }
        w.raw(",\"max_score\":"); if scored && !top.isEmpty { w.raw("1.0") } else { w.raw("null") }
        w.raw(",\"hits\":[")
        for (n, h) in top.enumerated() {
            if n > 0 { w.comma() }
            let s = snaps[h.snap]
            let doc = try s.segments[h.seg].segment.document(Int(h.doc))
            w.raw("{\"_index\":"); w.string(s.name); w.raw(",\"_type\":\"_doc\",\"_id\":"); w.string(doc.id)
            w.raw(",\"_score\":"); if scored { w.raw("1.0") } else { w.raw("null") }
            switch r.source {
            case .all: w.raw(",\"_source\":"); w.raw(doc.source)
            case .none: break
            case .filter(let inc, let exc): w.raw(",\"_source\":"); w.raw(SourceFilter.apply(doc.source, includes: inc, excludes: exc))
            }
            if !r.sort.isEmpty {
                w.raw(",\"sort\":[")
                for (i, key) in r.sort.enumerated() {
                    if i > 0 { w.comma() }
                    if key.field == "_score" { w.raw("1.0"); continue }
                    let idx = sortKeys.firstIndex { $0.field == key.field }!
                    switch h.keys[idx] {
                    case .num(let d): if d == d.rounded() && abs(d) < 9e15 { w.int(Int64(d)) } else { w.double(d) }
                    case .str(let s): w.string(s)
                    case .missing: w.raw("null")
                    }
                }
                w.raw("]")
            }
            w.raw("}")
        }
        w.raw("]}}")
        return w.bytes
    }

    /// `_shards`, one shard per index; an index with unreadable segments counts as failed and
    /// names the files, while its readable segments still answer.
    public static func writeShards(_ w: inout JSONWriter, _ snaps: [IndexSnapshot]) {
        let failed = snaps.filter { !$0.failures.isEmpty }
        w.raw("\"_shards\":{\"total\":"); w.int(snaps.count); w.raw(",\"successful\":"); w.int(snaps.count - failed.count)
        w.raw(",\"skipped\":0,\"failed\":"); w.int(failed.count)
        if !failed.isEmpty {
            w.raw(",\"failures\":[")
            for (i, s) in failed.enumerated() {
                if i > 0 { w.comma() }
                w.raw("{\"shard\":0,\"index\":"); w.string(s.name); w.raw(",\"reason\":{\"type\":\"corrupt_index_exception\",\"reason\":")
                w.string(s.failures.joined(separator: "; ")); w.raw("}}")
            }
            w.raw("]")
        }
        w.raw("}")
    }

    func sortValues(_ keys: [SearchRequest.SortKey], _ seg: Segment, _ doc: Int) throws -> [SortValue] {
        try keys.map { k in
            if k.field == "_doc" { return .num(Double(seg.id) * 1e9 + Double(doc)) }
            if let col = try seg.numericColumn(k.field) { return col.has(doc) ? .num(col.double(doc)) : .missing }
            if let col = try seg.ordinalColumn(k.field), let dict = try seg.dictionary(k.field) {
                let v = col.values(doc)
                guard let o = k.descending ? v.last : v.first else { return .missing }
                return .str(dict.termString(Int(o)))
            }
            return .missing
        }
    }

    func less(_ a: [SortValue], _ b: [SortValue], _ keys: [SearchRequest.SortKey]) -> Bool {
        for (i, k) in keys.enumerated() {
            let x = a[i], y = b[i]
            if x == y { continue }
            if x == .missing { return k.missingFirst ?? false }
            if y == .missing { return !(k.missingFirst ?? false) }
            return k.descending ? y < x : x < y
        }
        return false
    }

    /// Whether a hit sorts strictly after the `search_after` values. Numeric keys given as
    /// strings (Grafana sends them so) compare as numbers.
    func isAfter(_ keys: [SortValue], _ after: [SortValue], _ sk: [SearchRequest.SortKey]) -> Bool {
        let a = zip(after, keys).map { av, kv -> SortValue in
            if case .str(let s) = av, case .num = kv, let d = Double(s) { return .num(d) }
            return av
        }
        return less(a, Array(keys.prefix(a.count)), Array(sk.prefix(a.count)))
    }

    func topK(_ c: [Hit], _ keys: [SearchRequest.SortKey], _ k: Int) -> [Hit] {
        if keys.isEmpty { return Array(c.prefix(k)) }
        return Array(c.sorted { less($0.keys, $1.keys, keys) }.prefix(k))
    }
}
