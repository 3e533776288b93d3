import Foundation
import LogpondEngine

/// Runs a search over index snapshots: per segment, then merged; `_source` is read only for
/// the page of hits returned.
public struct Searcher {
    /// Documents a search must span before its segments are evaluated in parallel.
    public var parallelMinDocs = Limits.parallelSearchMinDocs
    public init() {}

    /// One matching document and its sort keys.
    public struct Hit {
        var snap: Int
        var seg: Int
        var doc: Int32
        var score: Float
        var keys: [SortValue]
    }

    /// A sort key value; `missing` sorts last unless asked otherwise.
    public enum SortValue: Comparable {
        case missing, num(Double), str(String)
        public static func < (a: SortValue, b: SortValue) -> Bool {
            switch (a, b) {
            case (.num(let x), .num(let y)): return x < y
            case (.str(let x), .str(let y)): return x < y
            case (.missing, _): return false
            case (_, .missing): return true
            case (.num, .str): return true
            case (.str, .num): return false
            }
        }
    }

    /// The outcome of the query phase.
    public struct Collected {
        public var total = 0
        public var hits: [Hit] = []
        public var maxScore: Float? = nil
        public var scored = false
        /// `timeout` ran out: segments not yet searched were left out (`timed_out: true`).
        public var timedOut = false
    }

    static func segmentQueries(_ s: IndexSnapshot) -> (FieldStats, [String]) {
        (FieldStats(segments: s.segments.map { $0.segment }), ["*"])
    }

    /// Counts matching live documents (`_count`).
    public func count(_ q: Query, _ snaps: [IndexSnapshot], cancelled: (@Sendable () -> Bool)? = nil) throws -> Int {
        var total = 0
        for s in snaps {
            let (stats, df) = Self.segmentQueries(s)
            for (seg, dels) in s.segments {
                let sq = SegmentQuery(segment: seg, mapping: s.mapping, analysis: s.analysis, stats: stats, defaultField: df)
                if sq.excludedByTime(q) { continue }
                try QueryError.check(cancelled)
                total += try sq.count(q, deletes: dels)
            }
        }
        return total
    }

    /// The query phase: totals, and the top `limit` hits in order (nil: every hit, for scroll).
    public func collect(_ r: SearchRequest, _ snaps: [IndexSnapshot], limit: Int?) throws -> Collected {
        // Text fields have no doc values: Elasticsearch refuses to sort on them.
        for k in r.sort where k.field != "_score" && k.field != "_doc" {
            for s in snaps {
                if let fm = s.mapping.resolve(k.field), fm.type.storage == .text, !fm.fielddata {
                    throw QueryError.illegal("Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [\(Param.clip(k.field))] in order to load field data by uninverting the inverted index. Note that this can use significant memory.")
                }
            }
        }
        var c = Collected()
        let sortKeys = r.sort
        c.scored = sortKeys.isEmpty || sortKeys.contains { $0.field == "_score" } || r.trackScores
        // No hits returned: nothing to score (Elasticsearch answers `max_score: null` too).
        if limit == 0 && r.minScore == nil { c.scored = false }
        let countOnly = limit == 0 && r.minScore == nil && r.postFilter == nil && r.terminateAfter == nil
        let effectiveSort = sortKeys.isEmpty ? [SearchRequest.SortKey(field: "_score", descending: true)] : sortKeys
        let timeSorted = effectiveSort.first?.field == SegmentFormat.timestampField && effectiveSort.count <= 2
        let after: [SortValue]? = r.searchAfter.map { $0.map(Self.sortValue) }
        // One job per segment the query can touch; big searches run them on all cores.
        var jobs: [(si: Int, gi: Int, sq: SegmentQuery, dels: Bitset?)] = []
        for (si, s) in snaps.enumerated() {
            let (stats, df) = Self.segmentQueries(s)
            for (gi, (seg, dels)) in s.segments.enumerated() {
                let sq = SegmentQuery(segment: seg, mapping: s.mapping, analysis: s.analysis, stats: stats, defaultField: df)
                if sq.excludedByTime(r.query) { continue }
                jobs.append((si, gi, sq, dels))
            }
        }
        // `timeout` is checked before each segment: what was searched by then is the answer
        // (Elasticsearch's partial results), flagged `timed_out`.
        let deadline = r.timeoutMillis.map { Clock.now() + UInt64(max($0, 0)) * 1_000_000 }
        let timedOut = NSLock()
        func expired() -> Bool {
            guard let d = deadline, Clock.now() > d else { return false }
            timedOut.withLock { c.timedOut = true }
            return true
        }
        if countOnly {
            for j in jobs where !expired() {
                try QueryError.check(r.cancelled)
                c.total += try j.sq.count(r.query, deletes: j.dels)
            }
            return c
        }
        let scored = c.scored
        func run(_ j: (si: Int, gi: Int, sq: SegmentQuery, dels: Bitset?)) throws -> SegmentHits {
            if expired() { return SegmentHits() }
            try QueryError.check(r.cancelled)
            return try segmentHits(r, j.sq, j.dels, scored: scored, limit: limit, sort: effectiveSort, timeSorted: timeSorted, after: after, si: j.si, gi: j.gi)
        }
        let parts: [SegmentHits]
        if jobs.count > 1 && jobs.reduce(0, { $0 + $1.sq.segment.docCount }) >= parallelMinDocs && readsEnough(r.query, jobs.map { ($0.si, $0.sq) }) {
            var out = [Result<SegmentHits, Error>?](repeating: nil, count: jobs.count)
            out.withUnsafeMutableBufferPointer { buf in
                DispatchQueue.concurrentPerform(iterations: jobs.count) { k in buf[k] = Result { try run(jobs[k]) } }
            }
            parts = try out.map { try $0!.get() }
        } else {
            parts = try jobs.map(run)
        }
        var candidates: [Hit] = []
        for part in parts {
            c.total += part.total
            if let m = part.maxScore { c.maxScore = max(c.maxScore ?? m, m) }
            candidates.append(contentsOf: part.hits)
            if let k = limit, candidates.count > 4 * k + 1024 { candidates = topK(candidates, effectiveSort, k) }
        }
        c.hits = limit.map { topK(candidates, effectiveSort, $0) } ?? topK(candidates, effectiveSort, candidates.count)
        return c
    }

    /// Whether the query reads enough postings to be worth a second thread: a rare word over
    /// three days of segments is done in less time than the second thread takes to wake (its
    /// wait was a quarter of such a search). Unknown costs count as enough.
    func readsEnough(_ q: Query, _ jobs: [(si: Int, sq: SegmentQuery)]) -> Bool {
        var total: Int64 = 0
        var seen = Set<Int>()
        for j in jobs where seen.insert(j.si).inserted {
            // One estimate per index: it reads the index-wide term statistics.
            guard let e = j.sq.estimatedPostings(q) else { return true }
            total &+= e
            if total >= Int64(parallelMinDocs) { return true }
        }
        return false
    }

    /// One segment's share of the query phase: its total, best score and candidate hits.
    struct SegmentHits { var total = 0; var maxScore: Float? = nil; var hits: [Hit] = [] }

    func segmentHits(_ r: SearchRequest, _ sq: SegmentQuery, _ dels: Bitset?, scored: Bool, limit: Int?, sort effectiveSort: [SearchRequest.SortKey],
                     timeSorted: Bool, after: [SortValue]?, si: Int, gi: Int) throws -> SegmentHits {
        var out = SegmentHits()
        let seg = sq.segment
        var res = try sq.eval(r.query, scoring: scored)
        if let pf = r.postFilter { res = Scored.filter(res, try sq.docs(pf)) }
        if let d = dels { res = res.keeping { doc, _ in !d.contains(Int(doc)) } }
        if let ms = r.minScore { res = res.keeping { _, score in score >= ms } }
        if let ta = r.terminateAfter, res.docs.count > ta { res = Scored(docs: Array(res.docs.prefix(ta)), scores: Array(res.scores.prefix(ta))) }
        out.total = res.docs.count
        if scored { out.maxScore = res.scores.max() }
        if limit == 0 || res.docs.isEmpty { return out }
        var range = 0..<res.docs.count
        // Segments are time-sorted: the newest (or oldest) k are at one end.
        if let k = limit, timeSorted && after == nil {
            range = effectiveSort[0].descending ? max(0, res.docs.count - k)..<res.docs.count : 0..<min(k, res.docs.count)
        }
        var picked: [Int] = Array(range)
        // By score alone: this segment's best k first (ties to the lower doc, as the
        // final tie-break orders them), so sort keys are built for k hits, not all.
        if let k = limit, k <= 1000, after == nil, effectiveSort.count == 1, effectiveSort[0].field == "_score",
           effectiveSort[0].descending, range.count > k {
            picked = Self.bestScores(res.scores, k)
        }
        for k in picked {
            let keys = try sortValues(effectiveSort, seg, Int(res.docs[k]), res.scores[k], snapIndex: si, segIndex: gi)
            if let a = after, !isAfter(keys, a, effectiveSort) { continue }
            out.hits.append(Hit(snap: si, seg: gi, doc: res.docs[k], score: res.scores[k], keys: keys))
        }
        if let k = limit, out.hits.count > 4 * k + 1024 { out.hits = topK(out.hits, effectiveSort, k) }
        return out
    }

    static func sortValue(_ v: JSONValue) -> SortValue {
        switch v {
        case .int(let i): return .num(Double(i))
        case .double(let d): return .num(d)
        case .string(let s): return .str(s)
        case .bool(let b): return .num(b ? 1 : 0)
        case .null: return .missing
        }
    }

    /// Executes `r` and renders Elasticsearch's response body.
    public func search(_ r: SearchRequest, _ snaps: [IndexSnapshot], took: () -> Int, extra: ((inout JSONWriter) throws -> Void)? = nil) throws -> [UInt8] {
        let c = try collect(r, snaps, limit: r.from + r.size)
        return try render(r, snaps, c, hits: Array(c.hits.dropFirst(r.from)), took: took(), extra: extra)
    }

    /// The response body for a page of hits.
    public func render(_ r: SearchRequest, _ snaps: [IndexSnapshot], _ c: Collected, hits top: [Hit], took: Int, scrollID: String? = nil,
                       extra: ((inout JSONWriter) throws -> Void)? = nil) throws -> [UInt8] {
        var w = JSONWriter(capacity: 4096)
        w.raw("{")
        if let id = scrollID { w.raw("\"_scroll_id\":"); w.string(id); w.comma() }
        w.raw("\"took\":"); w.int(took); w.raw(c.timedOut ? ",\"timed_out\":true," : ",\"timed_out\":false,")
        if r.terminateAfter != nil { w.raw("\"terminated_early\":"); w.bool(c.total >= (r.terminateAfter ?? 0)); w.comma() }
        Self.writeShards(&w, snaps)
        w.raw(",\"hits\":{\"total\":{\"value\":")
        if let limit = r.trackTotalHits, c.total > limit { w.int(limit); w.raw(",\"relation\":\"gte\"}") } else { w.int(c.total); w.raw(",\"relation\":\"eq\"}") }
        w.raw(",\"max_score\":"); if let m = c.maxScore, c.scored { w.raw(Self.floatString(m)) } else { w.raw("null") }
        w.raw(",\"hits\":[")
        for (n, h) in top.enumerated() {
            if n > 0 { w.comma() }
            let s = snaps[h.snap]
            let seg = s.segments[h.seg].segment
            let doc = try seg.document(Int(h.doc))
            w.raw("{\"_index\":"); w.string(s.name); w.raw(",\"_type\":\"_doc\",\"_id\":"); w.string(doc.id)
            if r.version { w.raw(",\"_version\":"); w.int(doc.version) }
            if r.seqNoPrimaryTerm { w.raw(",\"_seq_no\":"); w.int(doc.seq); w.raw(",\"_primary_term\":1") }
            w.raw(",\"_score\":"); if c.scored { w.raw(Self.floatString(h.score)) } else { w.raw("null") }
            var parsed: [String: Any]? = nil
            func sourceObject() -> [String: Any] {
                if parsed == nil { parsed = (try? JSONSerialization.jsonObject(with: Data(doc.source))) as? [String: Any] ?? [:] }
                return parsed!
            }
            switch r.source {
            case .all: w.raw(",\"_source\":"); w.raw(doc.source)
            case .none: break
            case .filter(let inc, let exc): w.raw(",\"_source\":"); w.raw(SourceFilter.apply(doc.source, includes: inc, excludes: exc))
            }
            var fields: [(String, [Any])] = []
            if !r.fields.isEmpty { fields += HitFields.fromSource(sourceObject(), r.fields, s.mapping) }
            if !r.docvalueFields.isEmpty { fields += try HitFields.fromDocValues(seg, Int(h.doc), r.docvalueFields, s.mapping) }
            if !fields.isEmpty {
                var seen = Set<String>()
                w.raw(",\"fields\":{")
                var first = true
                for (k, v) in fields where seen.insert(k).inserted {
                    if !first { w.comma() }; first = false
                    w.key(k); w.any(v)
                }
                w.raw("}")
            }
            if let hs = r.highlight {
                let hl = Highlighter(spec: hs, query: r.query, mapping: s.mapping, analysis: s.analysis).highlight(source: sourceObject())
                if !hl.isEmpty { w.raw(",\"highlight\":"); w.any(hl.map { ($0.0, $0.1 as Any) }) }
            }
            if !r.sort.isEmpty {
                w.raw(",\"sort\":[")
                for (i, key) in r.sort.enumerated() {
                    if i > 0 { w.comma() }
                    switch h.keys[i] {
                    case .num(let d):
                        if key.field == "_score" { w.raw(Self.floatString(Float(d))) }
                        else if let f = key.format, let fm = s.mapping.resolve(key.field), fm.type.storage == .date {
                            let v = Int64(d)
                            let (sec, ns) = fm.type == .dateNanos ? (DateFormats.floorDiv(v, 1_000_000_000), DateFormats.floorMod(v, 1_000_000_000)) : (DateFormats.floorDiv(v, 1000), DateFormats.floorMod(v, 1000) * 1_000_000)
                            w.any(HitFields.formatDate(seconds: sec, nanos: ns, f))
                        } else if d == d.rounded() && abs(d) < 9e15 { w.int(Int64(d)) } else { w.double(d) }
                    case .str(let s): w.string(s)
                    case .missing: w.raw(key.descending ? "-9223372036854775808" : "9223372036854775807")
                    }
                }
                w.raw("]")
            }
            w.raw("}")
        }
        w.raw("]}")
        if let extra { try extra(&w) }
        w.raw("}")
        return w.bytes
    }

    static func floatString(_ f: Float) -> String {
        if f == f.rounded() && abs(f) < 1e7 { return String(format: "%.1f", f) }
        return "\(f)"
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

    /// Sort keys of a hit plus an implicit final tiebreak (index order, then doc).
    func sortValues(_ keys: [SearchRequest.SortKey], _ seg: Segment, _ doc: Int, _ score: Float, snapIndex: Int, segIndex: Int) throws -> [SortValue] {
        var out: [SortValue] = try keys.map { k in
            if k.field == "_score" { return .num(Double(score)) }
            if k.field == "_doc" { return .num(Double(snapIndex) * 1e15 + Double(segIndex) * 1e10 + Double(doc)) }
            if let col = try seg.numericColumn(k.field) { return col.has(doc) ? .num(col.double(doc)) : .missing }
            // Text with `fielddata: true` (the only text that gets here) sorts on its terms.
            if let col = try seg.ordinalColumn(k.field) ?? seg.fielddata(k.field), let dict = try seg.dictionary(k.field) {
                let v = col.values(doc)
                guard let o = k.descending ? v.last : v.first else { return .missing }
                return .str(dict.termString(Int(o)))
            }
            return .missing
        }
        out.append(.num(Double(snapIndex) * 1e15 + Double(segIndex) * 1e10 + Double(doc)))
        return out
    }

    func less(_ a: [SortValue], _ b: [SortValue], _ keys: [SearchRequest.SortKey]) -> Bool {
        for i in 0..<min(a.count, b.count) {
            let x = a[i], y = b[i]
            if x == y { continue }
            let k = i < keys.count ? keys[i] : SearchRequest.SortKey(field: "_tiebreak", descending: false)
            if x == .missing { return k.missingFirst ?? false }
            if y == .missing { return !(k.missingFirst ?? false) }
            return k.descending ? y < x : x < y
        }
        return false
    }

    func isAfter(_ keys: [SortValue], _ after: [SortValue], _ sk: [SearchRequest.SortKey]) -> Bool {
        let a = zip(after, keys).map { av, kv -> SortValue in
            if case .str(let s) = av, case .num = kv, let d = Double(s) { return .num(d) }
            return av
        }
        return less(a, Array(keys.prefix(a.count)), Array(sk.prefix(a.count)))
    }

    /// Indices of the `k` highest scores (equal scores: the lower index wins), ascending.
    static func bestScores(_ scores: [Float], _ k: Int) -> [Int] {
        guard k > 0 else { return [] }
        // Kept worst first; a later index never beats an equal score.
        var best: [(score: Float, index: Int)] = []
        best.reserveCapacity(k + 1)
        for (i, sc) in scores.enumerated() {
            if best.count == k && !(sc > best[0].score) { continue }
            var lo = 0, hi = best.count
            while lo < hi {
                let m = (lo + hi) / 2
                let b = best[m]
                // `b` is worse than the new entry when its score is lower, or equal with a later index (never: i grows).
                if b.score < sc { lo = m + 1 } else { hi = m }
            }
            best.insert((sc, i), at: lo)
            if best.count > k { best.removeFirst() }
        }
        return best.map { $0.index }.sorted()
    }

    func topK(_ c: [Hit], _ keys: [SearchRequest.SortKey], _ k: Int) -> [Hit] {
        Array(c.sorted { less($0.keys, $1.keys, keys) }.prefix(k))
    }
}
