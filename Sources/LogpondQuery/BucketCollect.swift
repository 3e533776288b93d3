import Foundation
import LogpondEngine

/// Per-segment collection of bucket aggregations.
extension AggNode {
    func collectKeyed(_ ctx: AggContext, _ docs: [Int32]) throws -> AggState {
        guard let f = field else { throw QueryError.parsing("Required [field] for [\(type)] aggregation [\(name)]") }
        let vs = try ValuesSource(ctx, f, self)
        var groups: [AggKey: [Int32]] = [:]
        // Each document lands in a group list at least once: charged before they are built.
        if type != "date_histogram" || !subs.isEmpty { try ctx.charge(docs.count * 8, name) }
        switch type {
        case "terms":
            let missing = body["missing"].map { JSONValue($0).map { v -> AggKey in
                if case .string(let s) = v { return .str(s) }
                if case .bool(let b) = v { return vs.isKeyword ? .str(b ? "true" : "false") : .num(b ? 1 : 0) }
                return vs.isKeyword ? .str(v.stringValue) : .num(Double(v.stringValue) ?? 0) } } ?? nil
            if vs.isKeyword, let ords = vs.ordinals, let dict = vs.dict {
                return try collectOrdinals(ctx, docs, ords, dict, isIP: vs.fm?.type == .ip, missing: missing)
            } else {
                for d in docs {
                    let k = vs.keys(Int(d))
                    if k.isEmpty, let m = missing { groups[m, default: []].append(d) }
                    for key in Set(k) { groups[key, default: []].append(d) }
                }
            }
        case "histogram":
            guard let interval = (body["interval"] as? NSNumber)?.doubleValue, interval > 0 else {
                throw QueryError.illegal("[interval] must be >0 for histogram aggregation [\(name)]")
            }
            let offset = (body["offset"] as? NSNumber)?.doubleValue ?? 0
            let hard = bounds("hard_bounds")
            for d in docs {
                for v in vs.numbers(Int(d)) {
                    if let h = hard, v < h.0 || v >= h.1 + interval { continue }
                    let key = ((v - offset) / interval).rounded(.down) * interval + offset
                    guard key.isFinite else { throw tooManyBuckets() }
                    groups[.num(key), default: []].append(d)
                    if groups.count > Limits.maxBuckets { throw tooManyBuckets() }
                }
            }
        default: // date_histogram
            let di = try DateInterval.parse(body)
            let hard = bounds("hard_bounds")
            // A date column is single-valued: read it directly (no array per document).
            let numbers: [Double?]
            if let col = vs.numeric, !vs.nanos, !col.floating {
                numbers = docs.map { col.has(Int($0)) ? Double(col.value(Int($0))) : nil }
            } else {
                numbers = docs.map { vs.numbers(Int($0)).first }
            }
            if let lo = numbers.compactMap({ $0 }).min(), let hi = numbers.compactMap({ $0 }).max(),
               di.estimate(DateMath.clamp(lo), DateMath.clamp(hi)) > Int64(Limits.maxBuckets) {
                throw QueryError("too_many_buckets_exception", "Trying to create too many buckets. Must be less than or equal to: [\(Limits.maxBuckets)] but this date_histogram would need about [\(di.estimate(DateMath.clamp(lo), DateMath.clamp(hi)))]; use a larger interval.")
            }
            if subs.isEmpty {
                // Counts only: documents ascend and a segment is sorted by time, so equal keys
                // come in runs; one dictionary update per run, not per document (nor a list).
                var out: [AggKey: Bucket] = [:]
                var runKey: Int64 = 0, run = 0
                func flush() { if run > 0 { out[.num(Double(runKey)), default: Bucket(count: 0, subs: [:])].count += run } }
                for k in docs.indices {
                    guard let v = numbers[k] else { continue }
                    if let h = hard, v < h.0 || v > h.1 { continue }
                    let key = di.key(DateMath.clamp(v))
                    if run > 0 && key == runKey { run += 1 } else { flush(); runKey = key; run = 1 }
                }
                flush()
                return .buckets(out)
            }
            for (k, d) in docs.enumerated() {
                guard let v = numbers[k] else { continue }
                if let h = hard, v < h.0 || v > h.1 { continue }
                groups[.num(Double(di.key(DateMath.clamp(v)))), default: []].append(d)
            }
        }
        var out: [AggKey: Bucket] = [:]
        for (k, ds) in groups { out[k] = try bucket(ctx, ds.sorted()) }
        return .buckets(out)
    }

    /// `terms` on a keyword field: counts per ordinal in an array (no hashing per document),
    /// then, only when sub-aggregations need them, each bucket's documents by a counting sort
    /// (documents stay ascending); the few distinct ordinals become strings at the end.
    func collectOrdinals(_ ctx: AggContext, _ docs: [Int32], _ ords: OrdinalColumn, _ dict: TermDictionary, isIP: Bool, missing: AggKey?) throws -> AggState {
        try ctx.charge(dict.count * 4, name)
        var counts = [Int32](repeating: 0, count: dict.count)
        var missingDocs: [Int32] = []
        counts.withUnsafeMutableBufferPointer { c in
            // Every document of a segment without deletions (a match_all, most often): each
            // term's count is its document frequency, read from the dictionary in one pass over
            // the terms instead of an ordinal per document (Elasticsearch counts a match_all
            // from the terms' statistics too). Only when there are fewer terms than documents
            // by a margin: a field unique per document is cheaper to count by documents.
            if docs.count == ctx.segment.docCount && missing == nil && subs.isEmpty && dict.count &* 4 <= docs.count {
                dict.forEachDocFreq { o, df in c[o] = Int32(truncatingIfNeeded: df) }
                return
            }
            if ords.isSingleValued {
                for d in docs {
                    let v = ords.ordPlusOne(Int(d))
                    if v == 0 { if missing != nil { missingDocs.append(d) }; continue }
                    c[v - 1] += 1
                }
                return
            }
            for d in docs {
                let r = ords.range(Int(d))
                if r.isEmpty { if missing != nil { missingDocs.append(d) }; continue }
                for k in r { c[Int(ords.ord(at: k))] += 1 }
            }
        }
        // What the buckets will take, charged before they are built: a key and a bucket per
        // distinct term (and with sub-aggregations each term's documents).
        var distinct = 0
        for c in counts where c > 0 { distinct += 1 }
        try ctx.charge(distinct * (160 + (subs.isEmpty ? 0 : 64)) + (subs.isEmpty ? 0 : docs.count * 4 + counts.count * 16), name)
        var byOrd: [Int: [Int32]] = [:]
        if !subs.isEmpty {
            var start = [Int](repeating: 0, count: counts.count + 1)
            for o in 0..<counts.count { start[o + 1] = start[o] + Int(counts[o]) }
            var flat = [Int32](repeating: 0, count: start[counts.count])
            var fill = start
            for d in docs {
                for k in ords.range(Int(d)) { let o = Int(ords.ord(at: k)); flat[fill[o]] = d; fill[o] += 1 }
            }
            for o in 0..<counts.count where counts[o] > 0 { byOrd[o] = Array(flat[start[o]..<start[o + 1]]) }
        }
        var out: [AggKey: Bucket] = [:]
        var ordOf: [AggKey: Int] = [:]
        for o in 0..<counts.count where counts[o] > 0 {
            let t = dict.termString(o)
            let key = AggKey.str(isIP ? IPAddress.format(term: t) : t)
            ordOf[key] = o
            out[key] = subs.isEmpty ? Bucket(count: Int(counts[o]), subs: [:]) : try bucket(ctx, byOrd[o]!)
        }
        if let m = missing, !missingDocs.isEmpty {
            // The missing key may equal a term: then both count in one bucket.
            if let same = out[m] {
                let merged = DocSets.union([missingDocs, ordOf[m].flatMap { byOrd[$0] } ?? []])
                out[m] = subs.isEmpty ? Bucket(count: same.count + missingDocs.count, subs: [:]) : try bucket(ctx, merged)
            } else {
                out[m] = try bucket(ctx, missingDocs)
            }
        }
        return .buckets(out)
    }

    /// `extended_bounds` / `hard_bounds` as numbers (dates parsed with date math).
    func bounds(_ key: String) -> (Double, Double)? {
        guard let b = body[key] as? [String: Any] else { return nil }
        func num(_ v: Any?) -> Double? {
            if let n = v as? NSNumber { return n.doubleValue }
            if let s = v as? String { return Double(s) ?? DateMath.parse(s, roundUp: false, format: body["format"] as? String).map(Double.init) }
            return nil
        }
        return (num(b["min"]) ?? -Double.infinity, num(b["max"]) ?? Double.infinity)
    }

    struct RangeSpec { var key: String; var from: Double?; var to: Double?; var fromString: String?; var toString: String? }

    func ranges() throws -> [RangeSpec] {
        guard let rs = body["ranges"] as? [Any], !rs.isEmpty else { throw QueryError.illegal("No [ranges] specified for the [\(name)] aggregation") }
        return try rs.map { r in
            guard let o = r as? [String: Any] else { throw QueryError.parsing("[ranges] entries must be objects") }
            func val(_ v: Any?) throws -> (Double?, String?) {
                if let n = v as? NSNumber { return (try Param.double(n, "ranges"), nil) }
                if let s = v as? String {
                    if type == "date_range", let ms = DateMath.parse(s, roundUp: false, format: body["format"] as? String, timeZone: body["time_zone"] as? String) { return (Double(ms), s) }
                    guard let d = Double(s), d.isFinite else { throw QueryError("parse_exception", "failed to parse [\(Param.clip(s))] as a range bound of [\(name)]") }
                    return (d, s)
                }
                return (nil, nil)
            }
            let (f, fs) = try val(o["from"]), (t, ts) = try val(o["to"])
            let key = o["key"] as? String ?? "\(rangeLabel(f))-\(rangeLabel(t))"
            return RangeSpec(key: key, from: f, to: t, fromString: fs, toString: ts)
        }
    }

    func rangeLabel(_ v: Double?) -> String {
        guard let v else { return "*" }
        if type == "date_range" { return formatKey(v) }
        return String(v)
    }

    func collectRanges(_ ctx: AggContext, _ docs: [Int32]) throws -> AggState {
        guard let f = field else { throw QueryError.parsing("Required [field] for [\(type)] aggregation [\(name)]") }
        let vs = try ValuesSource(ctx, f, self)
        let rs = try ranges()
        var out: [String: Bucket] = [:]
        for (i, r) in rs.enumerated() {
            let matched = docs.filter { d in vs.numbers(Int(d)).contains { v in (r.from.map { v >= $0 } ?? true) && (r.to.map { v < $0 } ?? true) } }
            out[String(format: "%06d", i)] = try bucket(ctx, matched)
        }
        return .named(out)
    }

    func collectComposite(_ ctx: AggContext, _ docs: [Int32]) throws -> AggState {
        guard let sources = body["sources"] as? [Any], !sources.isEmpty else { throw QueryError.illegal("Composite [sources] cannot be null or empty") }
        var extractors: [(Int) -> [AggKey]] = []
        for s in sources {
            guard let o = s as? [String: Any], let (_, def) = o.first, let d = def as? [String: Any], let (kind, params) = d.first, let p = params as? [String: Any],
                  let f = p["field"] as? String else { throw QueryError.parsing("invalid composite source") }
            let vs = try ValuesSource(ctx, f, self)
            switch kind {
            case "terms": extractors.append { vs.keys($0) }
            case "date_histogram":
                let di = try DateInterval.parse(p)
                extractors.append { doc in vs.numbers(doc).prefix(1).map { .num(Double(di.key(DateMath.clamp($0)))) } }
            case "histogram":
                let iv = (p["interval"] as? NSNumber)?.doubleValue ?? 1   // > 0, checked at parse
                extractors.append { doc in vs.numbers(doc).prefix(1).map { .num(($0 / iv).rounded(.down) * iv) } }
            default: throw QueryError.illegal("composite source type [\(kind)] is not supported")
            }
        }
        var groups: [AggKey: [Int32]] = [:]
        for d in docs {
            var combos: [[AggKey]] = [[]]
            for e in extractors {
                let ks = e(Int(d))
                if ks.isEmpty { combos = []; break }
                combos = combos.flatMap { c in ks.map { c + [$0] } }
            }
            for c in combos { groups[.str(CompositeKey.encode(c)), default: []].append(d) }
            if groups.count > Limits.maxBuckets { throw tooManyBuckets() }
        }
        var out: [AggKey: Bucket] = [:]
        for (k, ds) in groups { out[k] = try bucket(ctx, ds) }
        return .buckets(out)
    }

    func collectTopHits(_ ctx: AggContext, _ docs: [Int32]) throws -> AggState {
        let size = (body["size"] as? Int) ?? (type == "top_metrics" ? 1 : 3)
        let sortSpec = body["sort"] ?? (type == "top_hits" ? nil : nil)
        let sort = try sortSpec.map { try SearchRequest.parseSort($0) } ?? []
        var scored = Scored.constant(docs, 1)
        if sort.isEmpty || sort.contains(where: { $0.field == "_score" }) {
            let s = try ctx.query.eval(ctx.query.rebindQuery, scoring: true)
            scored = Scored.filter(s, docs)
        }
        let keysFor = { (d: Int32, score: Float) -> [Searcher.SortValue] in
            (try? Searcher().sortValues(sort.isEmpty ? [SearchRequest.SortKey(field: "_score", descending: true)] : sort, ctx.segment, Int(d), score, snapIndex: 0, segIndex: 0)) ?? []
        }
        var cands = zip(scored.docs, scored.scores).map { ($0.0, $0.1, keysFor($0.0, $0.1)) }
        let effective = sort.isEmpty ? [SearchRequest.SortKey(field: "_score", descending: true)] : sort
        cands.sort { Searcher().less($0.2, $1.2, effective) }
        var out: [TopHit] = []
        let metricFields: [String] = {
            switch body["metrics"] {
            case let o as [String: Any]: return (o["field"] as? String).map { [$0] } ?? []
            case let a as [Any]: return a.compactMap { ($0 as? [String: Any])?["field"] as? String }
            default: return []
            }
        }()
        for (d, s, k) in cands.prefix(size) {
            let doc = try ctx.segment.document(Int(d))
            let metrics: [(String, Double?)] = try metricFields.map { f in (f, try ValuesSource(ctx, f, self).numbers(Int(d)).first) }
            out.append(TopHit(keys: k, score: s, index: ctx.index, id: doc.id, source: type == "top_hits" ? doc.source : [], metrics: metrics))
        }
        return .hits(out, total: docs.count)
    }
}

/// Composite keys are kept as one string while collecting: values joined by a separator no
/// field value contains, numbers tagged so they render as numbers.
enum CompositeKey {
    static func encode(_ ks: [AggKey]) -> String {
        ks.map { k -> String in
            switch k { case .num(let d): return "n" + String(d); case .str(let s): return "s" + s }
        }.joined(separator: "\u{0}")
    }
    static func decode(_ s: String) -> [AggKey] {
        s.split(separator: "\u{0}", omittingEmptySubsequences: false).map { p in
            p.first == "n" ? .num(Double(p.dropFirst()) ?? 0) : .str(String(p.dropFirst()))
        }
    }
}
