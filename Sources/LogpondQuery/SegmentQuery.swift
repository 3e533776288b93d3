import LogpondEngine
import LogpondAnalysis
import Foundation

/// Evaluates a query against one segment, producing the matching doc ids (deletions not yet
/// applied). Term-level and full-text clauses read postings; numbers and dates read columns.
/// Evaluates a query against one segment: matching doc ids (deletions not yet applied) with
/// BM25 scores. Term-level and full-text clauses read postings; numbers and dates read columns.
struct SegmentQuery {
    let segment: Segment
    let mapping: Mapping
    var analysis: AnalysisRegistry = .builtIn
    var stats: FieldStats
    /// `index.query.default_field` of the index (`*` by default).
    var defaultField: [String] = ["*"]

    /// Elasticsearch refuses queries on fields mapped with `index: false`.
    func searchable(_ field: String, _ fm: FieldMapping) throws {
        if !fm.index && fm.type.storage != .object {
            throw QueryError.illegal("Cannot search on field [\(field)] since it is not indexed.")
        }
    }

    /// The request's query, set when this evaluator serves aggregations (top_hits scores with it).
    var rebindQuery: Query = .matchAll(boost: 1)

    /// Live matching documents, counted without listing them where the query allows.
    func count(_ q: Query, deletes: Bitset?) throws -> Int {
        if case .matchAll = q { return segment.docCount - (deletes?.cardinality ?? 0) }
        let docs = try docs(q)
        guard let d = deletes else { return docs.count }
        return docs.reduce(0) { $0 + (d.contains(Int($1)) ? 0 : 1) }
    }

    /// Matching docs only (filter context).
    func docs(_ q: Query) throws -> [Int32] { try eval(q, scoring: false).docs }

    func eval(_ q: Query, scoring: Bool) throws -> Scored {
        switch q {
        case .matchAll(let boost): return .constant(DocSets.all(segment.docCount), boost)
        case .matchNone: return .empty
        case .ids(let ids, let boost):
            guard let dict = try segment.dictionary("_id") else { return .empty }
            return .constant(DocSets.union(try ids.compactMap { dict.find($0) }.map { try dict.docs($0) }), boost)
        case .term(let field, let value, let ci, let boost):
            return try termQuery(field, value, caseInsensitive: ci, boost: boost, scoring: scoring)
        case .terms(let field, let values, let boost):
            if values.count > Limits.maxClauseCount { throw QueryError("too_many_clauses", "maxClauseCount is set to \(Limits.maxClauseCount)") }
            return .constant(DocSets.union(try values.map { try termDocs(field, $0, caseInsensitive: false) }), boost)
        case .range(let field, let b, let boost):
            return .constant(try rangeDocs(field, b), boost)
        case .exists(let field, let boost):
            return .constant(try existsDocs(field), boost)
        case .match(let m): return try match(m, scoring: scoring)
        case .phrase(let p): return try phrase(p, scoring: scoring)
        case .multiTerm(let m): return try multiTerm(m, scoring: scoring)
        case .bool(let must, let filter, let should, let mustNot, let msm, let boost):
            var base: Scored? = nil
            for c in must {
                let r = try eval(c, scoring: scoring)
                base = base.map { Scored.and($0, r) } ?? r
                if base!.docs.isEmpty { return .empty }
            }
            for c in filter {
                if let b = base, let run = try timestampRun(c) {
                    base = b.within(run)
                    if base!.docs.isEmpty { return .empty }
                    continue
                }
                let d = try docs(c)
                base = base.map { Scored.filter($0, d) } ?? .constant(d, 0)
                if base!.docs.isEmpty { return .empty }
            }
            if !should.isEmpty {
                let lists = try should.map { try eval($0, scoring: scoring) }
                var needed = MinimumShouldMatch.resolve(msm, optional: should.count, default: (must.isEmpty && filter.isEmpty) ? 1 : 0, clamp: false)
                // More than there are optional clauses: nothing can match (Elasticsearch's too).
                if needed > should.count { return .empty }
                if must.isEmpty && filter.isEmpty { needed = max(needed, 1) }
                let s = Scored.or(lists, minMatch: max(needed, 1))
                if needed > 0 {
                    base = base.map { Scored.and($0, s) } ?? s
                } else if let b = base {
                    // Optional clauses only add to the score of docs that already match.
                    base = Self.addOptional(b, s)
                }
            }
            var result = base ?? .constant(DocSets.all(segment.docCount), 0)
            if must.isEmpty && should.isEmpty && !filter.isEmpty { result = .constant(result.docs, 0) }
            if must.isEmpty && should.isEmpty && filter.isEmpty { result = .constant(result.docs, 1) }   // pure negative: match_all
            for c in mustNot { result = Scored.minus(result, try docs(c)) }
            return result.scaled(boost)
        case .constantScore(let inner, let boost):
            return .constant(try docs(inner), boost)
        case .disMax(let queries, let tie, let boost):
            return Scored.or(try queries.map { try eval($0, scoring: scoring) }, minMatch: 1, tieBreaker: tie).scaled(boost)
        case .boosting(let positive, let negative, let nb):
            let p = try eval(positive, scoring: scoring)
            let n = Set(try docs(negative))
            return Scored(docs: p.docs, scores: zip(p.docs, p.scores).map { n.contains($0.0) ? $0.1 * nb : $0.1 })
        case .multiMatch(let m): return try eval(try QueryRewrite(mapping: mapping, defaultField: defaultField).multiMatch(m), scoring: scoring)
        case .queryString(let qs): return try eval(try QueryRewrite(mapping: mapping, defaultField: defaultField).queryString(qs), scoring: scoring)
        }
    }

    /// Adds the scores of optional matches to the docs of `base`.
    static func addOptional(_ base: Scored, _ opt: Scored) -> Scored {
        var out = base
        var j = 0
        for (k, d) in base.docs.enumerated() {
            while j < opt.docs.count && opt.docs[j] < d { j += 1 }
            if j < opt.docs.count && opt.docs[j] == d { out.scores[k] += opt.scores[j] }
        }
        return out
    }

    /// A `term` query: BM25-scored on text and keyword fields, constant on the others.
    func termQuery(_ field: String, _ value: JSONValue, caseInsensitive: Bool, boost: Float, scoring: Bool) throws -> Scored {
        guard scoring, !caseInsensitive, field != "_id", let fm = mapping.resolve(field), fm.type != .ip,
              fm.type.storage == .text || fm.type.storage == .keyword else {
            return .constant(try termDocs(field, value, caseInsensitive: caseInsensitive), boost)
        }
        try searchable(field, fm)
        var s = value.stringValue
        if let n = fm.normalizer { s = analysis.normalize(s, with: n) }
        return try scoredTerm(field, Array(s.utf8), boost: boost)
    }

    /// Postings of one term with BM25 scores.
    func scoredTerm(_ field: String, _ term: [UInt8], boost: Float) throws -> Scored {
        guard let dict = try segment.dictionary(field), let o = dict.find(term) else { return .empty }
        let (docs, freqs) = try dict.docsAndFreqs(o)
        let norms = try segment.norms(field)
        let idf = stats.idf(field, term), avgdl = stats.avgFieldLength(field)
        var scores = [Float](repeating: 0, count: docs.count)
        for k in docs.indices {
            scores[k] = Float(BM25.score(freq: Double(freqs[k]), norm: norms.map { $0[Int(docs[k])] }, avgdl: avgdl, idf: idf, boost: Double(boost)))
        }
        return Scored(docs: docs, scores: scores)
    }

    /// Whether the query cannot match anything in this segment, judged by its time bounds.
    func excludedByTime(_ q: Query) -> Bool {
        switch q {
        case .range(let field, let b, _) where field == SegmentFormat.timestampField:
            guard let (lo, hi) = try? dateBounds(b) else { return false }
            if segment.minTimestamp == Int64.max { return true }
            return hi < segment.minTimestamp || lo > segment.maxTimestamp
        case .bool(let must, let filter, _, _, _, _):
            return (must + filter).contains { excludedByTime($0) }
        case .constantScore(let inner, _):
            return excludedByTime(inner)
        default: return false
        }
    }

    func termDocs(_ field: String, _ value: JSONValue, caseInsensitive: Bool) throws -> [Int32] {
        let field = field == "_id" ? "_id" : field
        let fm = field == "_id" ? FieldMapping(type: .keyword) : mapping.resolve(field)
        guard let fm else { return [] }
        try searchable(field, fm)
        if fm.type == .ip {
            guard let dict = try segment.dictionary(field) else { return [] }
            let s = value.stringValue
            if s.contains("/") {
                guard let (lo, hi) = IPAddress.cidrRange(s) else { throw QueryError("query_shard_exception", "'\(EngineError.clip(s, max: 64))' is not an IP string literal.") }
                return try rangeTerms(dict, lo: Array(lo.utf8), hi: Array(hi.utf8), field: field)
            }
            guard let t = IPAddress.term(s) else { throw QueryError("query_shard_exception", "'\(EngineError.clip(s, max: 64))' is not an IP string literal.") }
            return try dict.find(t).map { try dict.docs($0) } ?? []
        }
        switch fm.type.storage {
        case .text, .keyword, .boolean:
            guard let dict = try segment.dictionary(field) else { return [] }
            var s = value.stringValue
            if let n = fm.normalizer { s = analysis.normalize(s, with: n) }
            if fm.type.storage == .boolean { s = (s == "true" || s == "1") ? "true" : "false" }
            if caseInsensitive {
                let lower = s.lowercased()
                var lists: [[Int32]] = []
                for o in 0..<dict.count where dict.termString(o).lowercased() == lower { lists.append(try dict.docs(o)) }
                return DocSets.union(lists)
            }
            guard let o = dict.find(s) else { return [] }
            return try dict.docs(o)
        case .integer, .date:
            let lo = try exactBound(value, fm, roundUp: false, ceiling: true)
            let hi = try exactBound(value, fm, roundUp: true, ceiling: false)
            guard let col = try segment.numericColumn(field), lo <= hi else { return [] }
            if field == SegmentFormat.timestampField && fm.type.storage == .date { return Self.sortedRange(col, lo, hi, docCount: segment.docCount) }
            var out: [Int32] = []
            for d in 0..<segment.docCount where col.has(d) && col.value(d) >= lo && col.value(d) <= hi { out.append(Int32(d)) }
            return out
        case .floating:
            let v = try numericBound(value, fm, roundUp: false)
            return try columnScan(field) { $0 == v }
        case .object: return []
        }
    }

    /// Inclusive bounds of a range on a whole-number or date field; whole numbers compare
    /// exactly (date_nanos values exceed a double's precision).
    func integerBounds(_ b: RangeBounds, _ fm: FieldMapping) throws -> (Int64, Int64) {
        var lo = Int64.min, hi = Int64.max
        if let v = b.gte { lo = try exactBound(v, fm, roundUp: false, ceiling: true, format: b.format, timeZone: b.timeZone) }
        if let v = b.gt { let x = try exactBound(v, fm, roundUp: true, ceiling: false, format: b.format, timeZone: b.timeZone); lo = x == Int64.max ? x : x + 1 }
        if let v = b.lte { hi = try exactBound(v, fm, roundUp: true, ceiling: false, format: b.format, timeZone: b.timeZone) }
        if let v = b.lt { let x = try exactBound(v, fm, roundUp: false, ceiling: true, format: b.format, timeZone: b.timeZone); hi = x == Int64.min ? x : x - 1 }
        return (lo, hi)
    }

    /// The run of doc ids a `range` on `@timestamp` matches; nil for any other query. A filter
    /// clause like this narrows the other clauses' matches by two binary searches.
    func timestampRun(_ q: Query) throws -> Range<Int>? {
        guard case .range(let field, let b, _) = q, field == SegmentFormat.timestampField,
              let fm = mapping.resolve(field), fm.type.storage == .date else { return nil }
        try searchable(field, fm)
        let (lo, hi) = try integerBounds(b, fm)
        guard let col = try segment.numericColumn(field), lo <= hi else { return 0..<0 }
        return Self.sortedRun(col, lo, hi, docCount: segment.docCount)
    }

    /// Documents are ordered by `@timestamp` inside a segment (those without one first), so a
    /// range on it is one run of doc ids, found by binary search instead of a column scan.
    static func sortedRange(_ col: NumericColumn, _ lo: Int64, _ hi: Int64, docCount: Int) -> [Int32] {
        sortedRun(col, lo, hi, docCount: docCount).map { Int32($0) }
    }

    static func sortedRun(_ col: NumericColumn, _ lo: Int64, _ hi: Int64, docCount: Int) -> Range<Int> {
        let present = partitionPoint(0, docCount) { col.has($0) }
        let a = partitionPoint(present, docCount) { col.value($0) >= lo }
        let b = partitionPoint(a, docCount) { col.value($0) > hi }
        return a..<b
    }

    func rangeDocs(_ field: String, _ b: RangeBounds) throws -> [Int32] {
        guard let fm = mapping.resolve(field) else { return [] }
        try searchable(field, fm)
        if fm.type == .ip, let dict = try segment.dictionary(field) {
            func t(_ v: JSONValue?) -> [UInt8]? { v.flatMap { IPAddress.term($0.stringValue) }.map { Array($0.utf8) } }
            let lo = t(b.gte ?? b.gt) ?? [], hi = t(b.lte ?? b.lt) ?? Array(String(repeating: "f", count: 32).utf8)
            var docs = try rangeTerms(dict, lo: lo, hi: hi, field: field)
            if let g = t(b.gt), let o = dict.find(g) { docs = DocSets.subtract(docs, try dict.docs(o)) }
            if let l = t(b.lt), let o = dict.find(l) { docs = DocSets.subtract(docs, try dict.docs(o)) }
            return docs
        }
        switch fm.type.storage {
        case .integer, .date:
            let (lo, hi) = try integerBounds(b, fm)
            guard let col = try segment.numericColumn(field), lo <= hi else { return [] }
            if field == SegmentFormat.timestampField && fm.type.storage == .date { return Self.sortedRange(col, lo, hi, docCount: segment.docCount) }
            var out: [Int32] = []
            for d in 0..<segment.docCount where col.has(d) && col.value(d) >= lo && col.value(d) <= hi { out.append(Int32(d)) }
            return out
        case .floating:
            var lo = -Double.infinity, hi = Double.infinity
            var loIncl = true, hiIncl = true
            if let v = b.gte { lo = try numericBound(v, fm, roundUp: false) }
            if let v = b.gt { lo = try numericBound(v, fm, roundUp: true); loIncl = false }
            if let v = b.lte { hi = try numericBound(v, fm, roundUp: true) }
            if let v = b.lt { hi = try numericBound(v, fm, roundUp: false); hiIncl = false }
            return try columnScan(field) { x in (loIncl ? x >= lo : x > lo) && (hiIncl ? x <= hi : x < hi) }
        case .keyword, .text, .boolean:
            guard let dict = try segment.dictionary(field) else { return [] }
            // A keyword's normalizer applies to the bounds as it did to the indexed terms.
            func bound(_ v: JSONValue) -> [UInt8] {
                guard fm.type.storage == .keyword, let n = fm.normalizer else { return Array(v.stringValue.utf8) }
                return Array(analysis.normalize(v.stringValue, with: n).utf8)
            }
            let lo = (b.gte ?? b.gt).map(bound)
            let hi = (b.lte ?? b.lt).map(bound)
            var o = lo.map { dict.lowerBound($0) } ?? 0
            var lists: [[Int32]] = []
            var visited = 0
            while o < dict.count {
                let t = dict.term(o)
                if let lo, b.gt != nil, t == lo { o += 1; continue }
                if let hi {
                    if hi.lexicographicallyPrecedes(t) { break }
                    if b.lt != nil && t == hi { break }
                }
                lists.append(try dict.docs(o))
                visited += 1
                if visited > Limits.maxTermExpansions { throw QueryError("too_many_clauses", "range on [\(field)] expands to more than \(Limits.maxTermExpansions) terms") }
                o += 1
            }
            return DocSets.union(lists)
        case .object: return []
        }
    }

    /// Union of the postings of every term in [lo, hi].
    func rangeTerms(_ dict: TermDictionary, lo: [UInt8], hi: [UInt8], field: String) throws -> [Int32] {
        var lists: [[Int32]] = []
        var o = dict.lowerBound(lo)
        while o < dict.count && !hi.lexicographicallyPrecedes(dict.term(o)) {
            lists.append(try dict.docs(o))
            if lists.count > Limits.maxTermExpansions { throw QueryError("too_many_clauses", "range on [\(field)] expands to more than \(Limits.maxTermExpansions) terms") }
            o += 1
        }
        return DocSets.union(lists)
    }

    func existsDocs(_ field: String) throws -> [Int32] {
        if let col = try segment.numericColumn(field) {
            return (0..<Int32(segment.docCount)).filter { col.has(Int($0)) }
        }
        if let col = try segment.ordinalColumn(field) {
            return (0..<Int32(segment.docCount)).filter { !col.range(Int($0)).isEmpty }
        }
        if let dict = try segment.dictionary(field) {
            return DocSets.union(try (0..<dict.count).map { try dict.docs($0) })
        }
        // An object path: any sub-field present.
        let prefix = field + "."
        let subs = segment.fieldNames.filter { $0.hasPrefix(prefix) }
        return DocSets.union(try subs.map { try existsDocs($0) })
    }

    func columnScan(_ field: String, _ pred: (Double) -> Bool) throws -> [Int32] {
        guard let col = try segment.numericColumn(field) else { return [] }
        var out: [Int32] = []
        for d in 0..<segment.docCount where col.has(d) && pred(col.double(d)) { out.append(Int32(d)) }
        return out
    }

    /// A bound of an integer or date field as an exact column value: fractional numbers round
    /// up (`ceiling`) or down so the inclusive comparison stays right.
    func exactBound(_ v: JSONValue, _ fm: FieldMapping, roundUp: Bool, ceiling: Bool, format: String? = nil, timeZone: String? = nil) throws -> Int64 {
        if case .int(let i) = v, fm.type.storage == .integer { return i }
        if fm.type == .dateNanos, case .string(let s) = v, !s.contains("||"), let (sec, ns) = DateParser.parseISONanos(s) {
            return sec * 1_000_000_000 + ns
        }
        if case .int(let i) = v, fm.type.storage == .date, format?.contains("epoch_second") == true {
            let (r, o) = i.multipliedReportingOverflow(by: fm.type == .dateNanos ? 1_000_000_000 : 1000)
            return o ? (i < 0 ? Int64.min : Int64.max) : r
        }
        let d = try numericBound(v, fm, roundUp: roundUp, format: format, timeZone: timeZone)
        guard d.isFinite else { return d < 0 ? Int64.min : Int64.max }
        let r = ceiling ? d.rounded(.up) : d.rounded(.down)
        if r >= 9.2e18 { return Int64.max }
        if r <= -9.2e18 { return Int64.min }
        return Int64(r)
    }

    /// Converts a bound to the column's number space (dates: epoch millis).
    func numericBound(_ v: JSONValue, _ fm: FieldMapping, roundUp: Bool, format: String? = nil, timeZone: String? = nil) throws -> Double {
        if fm.type.storage == .date {
            let scale: Double = fm.type == .dateNanos ? 1_000_000 : 1
            switch v {
            case .int(let i): return Double(i) * scale
            case .double(let d): return d * scale
            case .string(let s):
                if fm.type == .dateNanos, !s.contains("||"), !s.hasPrefix("now"), let (sec, ns) = DateParser.parseISONanos(s) { return Double(sec) * 1e9 + Double(ns) }
                if let ms = DateMath.parse(s, roundUp: roundUp, format: format ?? fm.format, timeZone: timeZone) { return Double(ms) * scale }
                throw QueryError("parse_exception", "failed to parse date field [\(EngineError.clip(s, max: 64))] with format [\(format ?? fm.format ?? "strict_date_optional_time||epoch_millis")]")
            default: throw QueryError.parsing("invalid date value")
            }
        }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            guard let d = Double(s) else { throw QueryError("number_format_exception", "For input string: \"\(EngineError.clip(s, max: 64))\"") }
            return d
        case .null: throw QueryError.parsing("null value")
        }
    }

    func dateBounds(_ b: RangeBounds) throws -> (Int64, Int64) {
        let fm = mapping.resolve(SegmentFormat.timestampField) ?? FieldMapping(type: .date)
        let scale: Int64 = fm.type == .dateNanos ? 1_000_000 : 1
        var lo = Int64.min, hi = Int64.max
        if let v = b.gte ?? b.gt { lo = try exactBound(v, fm, roundUp: b.gt != nil, ceiling: false, format: b.format, timeZone: b.timeZone) / scale }
        if let v = b.lte ?? b.lt { hi = try exactBound(v, fm, roundUp: b.lte != nil, ceiling: true, format: b.format, timeZone: b.timeZone) / scale }
        return (lo, hi)
    }
}
