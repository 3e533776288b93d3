import Foundation
import LogpondAnalysis
import LogpondEngine

/// The `highlight` request: tags, fragment sizes, fields (patterns allowed).
public struct HighlightSpec: Sendable {
    public var fields: [(pattern: String, fragmentSize: Int?, fragments: Int?)] = []
    public var preTags = ["<em>"]
    public var postTags = ["</em>"]
    public var fragmentSize = 100
    public var numberOfFragments = 5
    public var requireFieldMatch = true

    static func parse(_ v: Any) throws -> HighlightSpec {
        guard let o = v as? [String: Any] else { throw QueryError.parsing("[highlight] must be an object") }
        var h = HighlightSpec()
        func tags(_ k: String) throws -> [String]? {
            guard let v = o[k] else { return nil }
            guard let a = v as? [Any], !a.isEmpty, a.allSatisfy({ $0 is String }) else {
                throw QueryError.illegal("[highlight] [\(k)] must be a non-empty array of strings")
            }
            return a.compactMap { $0 as? String }
        }
        if let p = try tags("pre_tags") { h.preTags = p }
        if let p = try tags("post_tags") { h.postTags = p }
        func size(_ d: [String: Any]?, _ k: String) throws -> Int? { try Param.int(d?[k], "highlight.\(k)", max: Int(Int32.max)) }
        if let f = try size(o, "fragment_size") { h.fragmentSize = f }
        if let n = try size(o, "number_of_fragments") { h.numberOfFragments = n }
        if let r = try Param.bool(o["require_field_match"], "require_field_match") { h.requireFieldMatch = r }
        switch o["fields"] {
        case let d as [String: Any]:
            for (k, v) in d.sorted(by: { $0.key < $1.key }) {
                let fo = v as? [String: Any]
                h.fields.append((k, try size(fo, "fragment_size"), try size(fo, "number_of_fragments")))
            }
        case let a as [Any]:
            for e in a {
                guard let d = e as? [String: Any] else { throw QueryError.parsing("[highlight] [fields] entries must be objects") }
                for (k, v) in d { let fo = v as? [String: Any]; h.fields.append((k, try size(fo, "fragment_size"), try size(fo, "number_of_fragments"))) }
            }
        default: throw QueryError.parsing("[highlight] requires [fields]")
        }
        return h
    }
}

/// Marks the query's terms in text fields of a hit's `_source` (plain highlighter behaviour).
struct Highlighter {
    let spec: HighlightSpec
    let mapping: Mapping
    let analysis: AnalysisRegistry
    /// Field → analysed terms the query looks for.
    let terms: [String: Set<[UInt8]>]
    /// Field → term patterns of prefix, wildcard and regexp clauses.
    let patterns: [String: [MultiTermSpec]]

    init(spec: HighlightSpec, query: Query, mapping: Mapping, analysis: AnalysisRegistry) {
        self.spec = spec; self.mapping = mapping; self.analysis = analysis
        var t: [String: Set<[UInt8]>] = [:]
        var p: [String: [MultiTermSpec]] = [:]
        Self.collect(query, mapping, analysis, into: &t, &p)
        terms = t
        patterns = p
    }

    func matches(_ field: String, _ token: [UInt8]) -> Bool {
        if terms[field]?.contains(token) == true { return true }
        for m in patterns[field] ?? [] {
            switch m.kind {
            case .prefix: if token.starts(with: Array(m.value.utf8)) { return true }
            case .wildcard: if Wildcard(m.value).matches(token) { return true }
            default: break
            }
        }
        return false
    }

    static func collect(_ q: Query, _ m: Mapping, _ a: AnalysisRegistry, into t: inout [String: Set<[UInt8]>], _ p: inout [String: [MultiTermSpec]]) {
        func add(_ field: String, _ text: String, analyzed: Bool) {
            let fm = m.resolve(field)
            if analyzed, fm?.type.storage == .text || fm == nil {
                let an = (fm?.searchAnalyzer ?? fm?.analyzer).flatMap { a.analyzer($0) } ?? Analyzers.standard
                for tok in an.tokens(text) { t[field, default: []].insert(tok.term) }
            } else { t[field, default: []].insert(Array(text.utf8)) }
        }
        switch q {
        case .term(let f, let v, _, _): add(f, v.stringValue, analyzed: false)
        case .terms(let f, let vs, _): for v in vs { add(f, v.stringValue, analyzed: false) }
        case .match(let s): add(s.field, s.text, analyzed: true)
        case .phrase(let s): add(s.field, s.text, analyzed: true)
        case .multiTerm(let s): p[s.field, default: []].append(s)
        case .bool(let must, let filter, let should, _, _, _): for c in must + filter + should { collect(c, m, a, into: &t, &p) }
        case .constantScore(let c, _): collect(c, m, a, into: &t, &p)
        case .disMax(let qs, _, _): for c in qs { collect(c, m, a, into: &t, &p) }
        case .boosting(let pos, _, _): collect(pos, m, a, into: &t, &p)
        case .multiMatch(let s):
            for f in QueryRewrite(mapping: m).expand(s.fields) { add(f.0, s.text, analyzed: true) }
        case .queryString(let qs):
            if let rewritten = try? QueryRewrite(mapping: m).queryString(qs) { collect(rewritten, m, a, into: &t, &p) }
        default: break
        }
    }

    /// The `highlight` object of one hit, or nil when nothing matched.
    func highlight(source: [String: Any]) -> [(String, [String])] {
        var out: [(String, [String])] = []
        let flat = HitFields.flatten(source)
        for (pattern, fsize, fcount) in spec.fields {
            for (path, values) in flat.sorted(by: { $0.key < $1.key }) where Store.wildcardMatch(pattern, path) {
                guard let fm = mapping.resolve(path), fm.type.storage == .text || fm.type.storage == .keyword else { continue }
                let fields = spec.requireFieldMatch ? [path] : Array(Set(terms.keys).union(patterns.keys))
                if !fields.contains(where: { terms[$0] != nil || patterns[$0] != nil }) { continue }
                let analyzer: Analyzer = fm.type.storage == .text ? (fm.analyzer.flatMap { analysis.analyzer($0) } ?? Analyzers.standard) : KeywordAnalyzer()
                var frags: [String] = []
                for case let text as String in values {
                    frags += fragments(text, analyzer, { tok in fields.contains { matches($0, tok) } }, size: fsize ?? spec.fragmentSize, max: fcount ?? spec.numberOfFragments)
                }
                if !frags.isEmpty { out.append((path, frags)) }
            }
        }
        return out
    }

    func fragments(_ text: String, _ analyzer: Analyzer, _ wanted: ([UInt8]) -> Bool, size: Int, max: Int) -> [String] {
        let bytes = Array(text.utf8)
        var hits: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { buf in
            analyzer.analyze(buf) { term, _, s, e in if wanted(Array(term)) { hits.append(Int(s)..<Int(e)) } }
        }
        guard !hits.isEmpty else { return [] }
        func mark(_ range: Range<Int>) -> String {
            var out = ""
            var cursor = range.lowerBound
            for h in hits where h.lowerBound >= range.lowerBound && h.upperBound <= range.upperBound {
                out += String(decoding: bytes[cursor..<h.lowerBound], as: UTF8.self)
                out += spec.preTags[0] + String(decoding: bytes[h], as: UTF8.self) + spec.postTags[0]
                cursor = h.upperBound
            }
            return out + String(decoding: bytes[cursor..<range.upperBound], as: UTF8.self)
        }
        if max == 0 || size >= bytes.count { return [mark(0..<bytes.count)] }
        var out: [String] = []
        var used = 0
        for h in hits where h.lowerBound >= used && out.count < max {
            var start = Swift.max(0, h.lowerBound - size / 4)
            while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
            var end = Swift.min(bytes.count, start + size)
            while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
            out.append(mark(start..<end))
            used = end
        }
        return out
    }
}
