import Foundation
import LogpondEngine

/// Turns `multi_match` and `query_string` into plain queries once the index mapping is known
/// (field wildcards, default fields, per-field value handling).
struct QueryRewrite {
    let mapping: Mapping
    var defaultField: [String] = ["*"]

    /// Queryable leaf fields matching a pattern; `*` means every text, keyword, numeric, date,
    /// boolean and ip field, as Elasticsearch's `index.query.default_field`.
    func fields(_ pattern: String) -> [String] {
        if !pattern.contains("*") { return [pattern] }
        return mapping.leafPaths.filter { path, f in f.index && Store.wildcardMatch(pattern, path) }.map { $0.0 }
    }

    func expand(_ specs: [(pattern: String, boost: Float)]) -> [(String, Float)] {
        var out: [(String, Float)] = []
        for (p, b) in specs { for f in fields(p) where !out.contains(where: { $0.0 == f }) { out.append((f, b)) } }
        return out
    }

    func multiMatch(_ m: MultiMatchSpec) throws -> Query {
        let fs = expand(m.fields.isEmpty ? defaultField.map { ($0, 1) } : m.fields)
        if fs.isEmpty { return .matchNone }
        let lenient = m.lenient || m.fields.contains { $0.pattern.contains("*") }
        let per: [Query] = fs.compactMap { f, b in
            guard let fm = mapping.resolve(f) else { return nil }
            if lenient && !accepts(fm, m.text) { return nil }
            switch m.kind {
            case .phrase, .phrasePrefix:
                return .phrase(PhraseSpec(field: f, text: m.text, slop: m.slop, prefix: m.kind == .phrasePrefix, analyzer: m.analyzer, boost: b))
            default:
                var ms = MatchSpec(field: f, text: m.text)
                ms.and = m.and; ms.minimumShouldMatch = m.minimumShouldMatch; ms.analyzer = m.analyzer; ms.fuzziness = m.fuzziness
                ms.lenient = lenient; ms.lastIsPrefix = m.kind == .boolPrefix; ms.boost = b
                return .match(ms)
            }
        }
        if per.isEmpty { return .matchNone }
        let tie: Float = m.kind == .mostFields ? 1 : m.tieBreaker
        return .disMax(per, tieBreaker: tie, boost: m.boost)
    }

    /// Whether a value can be searched in a field without a parse error (for lenient expansion).
    func accepts(_ fm: FieldMapping, _ text: String) -> Bool {
        switch fm.type.storage {
        case .text, .keyword: return fm.type != .ip || IPAddress.term(text) != nil || text.contains("/")
        case .integer, .floating: return Double(text) != nil
        case .date: return DateMath.parse(text, roundUp: false) != nil
        case .boolean: return text == "true" || text == "false"
        case .object: return false
        }
    }

    func queryString(_ qs: QueryStringSpec) throws -> Query {
        let q = try convert(qs.query, qs)
        return qs.boost == 1 ? q : .bool(must: [q], filter: [], should: [], mustNot: [], minimumShouldMatch: nil, boost: qs.boost)
    }

    func targetFields(_ field: String?, _ qs: QueryStringSpec) -> [(String, Float)] {
        if let f = field { return expand([(f, 1)]) }
        return expand(qs.defaultFields.isEmpty ? defaultField.map { ($0, 1) } : qs.defaultFields)
    }

    /// One node on each target field, combined with dis_max (Elasticsearch's best_fields).
    func perField(_ field: String?, _ qs: QueryStringSpec, _ make: (String, FieldMapping, Float) throws -> Query?) throws -> Query {
        let targets = targetFields(field, qs)
        let lenient = qs.lenient || field == nil || field!.contains("*")
        var out: [Query] = []
        for (f, b) in targets {
            guard let fm = f == "_id" ? FieldMapping(type: .keyword) : mapping.resolve(f) else { continue }
            do { if let q = try make(f, fm, b) { out.append(q) } }
            catch { if !lenient { throw error } }
        }
        if out.isEmpty { return .matchNone }
        return out.count == 1 ? out[0] : .disMax(out, tieBreaker: 0, boost: 1)
    }

    func convert(_ n: LuceneNode, _ qs: QueryStringSpec) throws -> Query {
        switch n {
        case .matchAll: return .matchAll(boost: 1)
        case .exists(let f):
            let fs = fields(f)
            return fs.count == 1 ? .exists(field: fs[0], boost: 1) : .bool(must: [], filter: [], should: fs.map { .exists(field: $0, boost: 1) }, mustNot: [], minimumShouldMatch: nil, boost: 1)
        case .term(let field, let text, let fuzzy, let boost):
            return try perField(field, qs) { f, fm, b in
                let lenientHere = qs.lenient || field == nil || field!.contains("*")
                if lenientHere && !accepts(fm, text) { return nil }
                if let fz = fuzzy { return .multiTerm(MultiTermSpec(kind: .fuzzy, field: f, value: fm.type.storage == .text ? text.lowercased() : text, fuzziness: fz, boost: boost * b)) }
                switch fm.type.storage {
                case .text:
                    var m = MatchSpec(field: f, text: text)
                    m.and = qs.defaultAnd; m.analyzer = qs.analyzer; m.boost = boost * b
                    return .match(m)
                default:
                    try validate(fm, f, text)
                    return .term(field: f, value: .string(text), caseInsensitive: false, boost: boost * b)
                }
            }
        case .phrase(let field, let text, let slop, let boost):
            return try perField(field, qs) { f, fm, b in
                if fm.type.storage != .text && fm.type.storage != .keyword { return nil }
                return .phrase(PhraseSpec(field: f, text: text, slop: slop, analyzer: qs.analyzer, boost: boost * b))
            }
        case .wildcard(let field, let pattern, let boost):
            return try perField(field, qs) { f, fm, b in
                guard fm.type.storage == .text || fm.type.storage == .keyword else { return nil }
                // Text terms are lowercased by the analyzer, so the pattern is too.
                let p = fm.type.storage == .text ? pattern.lowercased() : pattern
                if p.hasSuffix("*") && !p.dropLast().contains("*") && !p.contains("?") && !p.contains("\\") {
                    return .multiTerm(MultiTermSpec(kind: .prefix, field: f, value: String(p.dropLast()), boost: boost * b))
                }
                return .multiTerm(MultiTermSpec(kind: .wildcard, field: f, value: p, boost: boost * b))
            }
        case .regex(let field, let pattern, let boost):
            return try perField(field, qs) { f, fm, b in
                guard fm.type.storage == .text || fm.type.storage == .keyword else { return nil }
                return .multiTerm(MultiTermSpec(kind: .regexp, field: f, value: pattern, boost: boost * b))
            }
        case .range(let field, let lo, let hi, let incLo, let incHi, let boost):
            return try perField(field, qs) { f, fm, b in
                var r = RangeBounds()
                func value(_ s: String) -> JSONValue {
                    if fm.type.storage == .integer || fm.type.storage == .floating, let d = Double(s) { return d == d.rounded() && abs(d) < 9e15 ? .int(Int64(d)) : .double(d) }
                    return .string(s)
                }
                if let lo { if incLo { r.gte = value(lo) } else { r.gt = value(lo) } }
                if let hi { if incHi { r.lte = value(hi) } else { r.lt = value(hi) } }
                if field == nil && fm.type.storage == .text { return nil }
                return .range(field: f, r, boost: boost * b)
            }
        case .bool(let clauses, let boost):
            var must: [Query] = [], should: [Query] = [], mustNot: [Query] = []
            for (occur, node) in clauses {
                let q = try convert(node, qs)
                switch occur {
                case .must: must.append(q)
                case .should: should.append(q)
                case .mustNot: mustNot.append(q)
                case .byDefault: if qs.defaultAnd { must.append(q) } else { should.append(q) }
                }
            }
            if must.isEmpty && should.isEmpty { must = [.matchAll(boost: 1)] }   // a pure negation matches everything else
            return .bool(must: must, filter: [], should: should, mustNot: mustNot, minimumShouldMatch: nil, boost: boost)
        }
    }

    /// A value that cannot be a term of the field: Elasticsearch's error unless lenient.
    func validate(_ fm: FieldMapping, _ field: String, _ text: String) throws {
        if !accepts(fm, text) {
            switch fm.type.storage {
            case .integer, .floating: throw QueryError("query_shard_exception", "failed to create query: For input string: \"\(EngineError.clip(text, max: 64))\"")
            case .date: throw QueryError("parse_exception", "failed to parse date field [\(EngineError.clip(text, max: 64))] with format [strict_date_optional_time||epoch_millis]")
            default: break
            }
        }
    }
}
