import LogpondEngine
import LogpondAnalysis

/// Evaluates a query against one segment, producing the matching doc ids (deletions not yet
/// applied). Term-level and full-text clauses read postings; numbers and dates read columns.
struct SegmentQuery {
    let segment: Segment
    let mapping: Mapping

    func docs(_ q: Query) throws -> [Int32] {
        switch q {
        case .matchAll: return DocSets.all(segment.docCount)
        case .matchNone: return []
        case .ids(let ids):
            guard let dict = try segment.dictionary("_id") else { return [] }
            return DocSets.union(try ids.compactMap { dict.find($0) }.map { try dict.docs($0) })
        case .term(let field, let value, let ci):
            return try termDocs(field, value, caseInsensitive: ci)
        case .terms(let field, let values):
            if values.count > Limits.maxClauseCount { throw QueryError("too_many_clauses", "too many terms, max is \(Limits.maxClauseCount)") }
            return DocSets.union(try values.map { try termDocs(field, $0, caseInsensitive: false) })
        case .match(let field, let text, let and):
            guard let fm = mapping.resolve(field) else { return [] }
            if fm.type.storage != .text { return try termDocs(field, .string(text), caseInsensitive: false) }
            let analyzer = fm.analyzer.flatMap { Analyzers.named($0) } ?? Analyzers.standard
            let toks = analyzer.tokens(text)
            if toks.isEmpty { return [] }
            guard let dict = try segment.dictionary(field) else { return [] }
            var lists: [[Int32]] = []
            for t in toks {
                if let o = dict.find(t.term) { lists.append(try dict.docs(o)) } else if and { return [] }
            }
            if lists.isEmpty { return [] }
            return and ? lists.dropFirst().reduce(lists[0]) { DocSets.intersect($0, $1) } : DocSets.union(lists)
        case .range(let field, let b):
            return try rangeDocs(field, b)
        case .exists(let field):
            return try existsDocs(field)
        case .bool(let must, let filter, let should, let mustNot, let msm):
            var base: [Int32]? = nil
            for c in must + filter {
                let d = try docs(c)
                base = base.map { DocSets.intersect($0, d) } ?? d
                if base!.isEmpty { return [] }
            }
            if !should.isEmpty {
                let needed = msm ?? ((must.isEmpty && filter.isEmpty) ? 1 : 0)
                if needed > 0 {
                    let s = DocSets.atLeast(needed, try should.map { try docs($0) })
                    base = base.map { DocSets.intersect($0, s) } ?? s
                }
            }
            var result = base ?? DocSets.all(segment.docCount)
            for c in mustNot { result = DocSets.subtract(result, try docs(c)) }
            return result
        }
    }

    /// Whether the query cannot match anything in this segment, judged by its time bounds.
    func excludedByTime(_ q: Query) -> Bool {
        switch q {
        case .range(let field, let b) where field == SegmentFormat.timestampField:
            guard let (lo, hi) = try? dateBounds(b) else { return false }
            if segment.minTimestamp == Int64.max { return true }
            return hi < segment.minTimestamp || lo > segment.maxTimestamp
        case .bool(let must, let filter, _, _, _):
            return (must + filter).contains { excludedByTime($0) }
        default: return false
        }
    }

    func termDocs(_ field: String, _ value: JSONValue, caseInsensitive: Bool) throws -> [Int32] {
        let field = field == "_id" ? "_id" : field
        let fm = field == "_id" ? FieldMapping(type: .keyword) : mapping.resolve(field)
        guard let fm else { return [] }
        switch fm.type.storage {
        case .text, .keyword, .boolean:
            guard let dict = try segment.dictionary(field) else { return [] }
            var s = value.stringValue
            if fm.type.storage == .boolean { s = (s == "true" || s == "1") ? "true" : "false" }
            if caseInsensitive {
                let lower = s.lowercased()
                var lists: [[Int32]] = []
                for o in 0..<dict.count where dict.termString(o).lowercased() == lower { lists.append(try dict.docs(o)) }
                return DocSets.union(lists)
            }
            guard let o = dict.find(s) else { return [] }
            return try dict.docs(o)
        case .integer, .floating, .date:
            let v = try numericBound(value, fm, roundUp: false)
            return try columnScan(field) { $0 == v }
        case .object: return []
        }
    }

    func rangeDocs(_ field: String, _ b: RangeBounds) throws -> [Int32] {
        guard let fm = mapping.resolve(field) else { return [] }
        switch fm.type.storage {
        case .integer, .floating, .date:
            var lo = -Double.infinity, hi = Double.infinity
            var loIncl = true, hiIncl = true
            if let v = b.gte { lo = try numericBound(v, fm, roundUp: false) }
            if let v = b.gt { lo = try numericBound(v, fm, roundUp: true); loIncl = false }
            if let v = b.lte { hi = try numericBound(v, fm, roundUp: true) }
            if let v = b.lt { hi = try numericBound(v, fm, roundUp: false); hiIncl = false }
            return try columnScan(field) { x in (loIncl ? x >= lo : x > lo) && (hiIncl ? x <= hi : x < hi) }
        case .keyword, .text, .boolean:
            guard let dict = try segment.dictionary(field) else { return [] }
            let lo = (b.gte ?? b.gt).map { Array($0.stringValue.utf8) }
            let hi = (b.lte ?? b.lt).map { Array($0.stringValue.utf8) }
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

    func existsDocs(_ field: String) throws -> [Int32] {
        if let col = try segment.numericColumn(field) {
            return (0..<Int32(segment.docCount)).filter { col.has(Int($0)) }
        }
        if let col = try segment.ordinalColumn(field) {
            return (0..<Int32(segment.docCount)).filter { !col.values(Int($0)).isEmpty }
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

    /// Converts a bound to the column's number space (dates: epoch millis).
    func numericBound(_ v: JSONValue, _ fm: FieldMapping, roundUp: Bool) throws -> Double {
        if fm.type.storage == .date {
            switch v {
            case .int(let i): return Double(i)
            case .double(let d): return d
            case .string(let s):
                if let ms = DateMath.parse(s, roundUp: roundUp) { return Double(ms) }
                throw QueryError("parse_exception", "failed to parse date field [\(EngineError.clip(s, max: 64))] with format [strict_date_optional_time||epoch_millis]")
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
        let fm = FieldMapping(type: .date)
        var lo = Int64.min, hi = Int64.max
        if let v = b.gte ?? b.gt { lo = Int64(try numericBound(v, fm, roundUp: b.gt != nil)) }
        if let v = b.lte ?? b.lt { hi = Int64(try numericBound(v, fm, roundUp: b.lte != nil)) }
        return (lo, hi)
    }
}
