import Foundation
import LogpondAnalysis
import LogpondEngine

/// Full-text and term-expanding queries on one segment.
extension SegmentQuery {
    func searchAnalyzer(_ fm: FieldMapping, override: String?) throws -> Analyzer {
        if let o = override {
            guard let a = analysis.analyzer(o) else { throw QueryError("query_shard_exception", "[match] analyzer [\(o)] not found") }
            return a
        }
        return (fm.searchAnalyzer ?? fm.analyzer).flatMap { analysis.analyzer($0) } ?? Analyzers.standard
    }

    func match(_ m: MatchSpec, scoring: Bool) throws -> Scored {
        guard let fm = mapping.resolve(m.field) else { return .empty }
        if fm.type.storage != .text {
            // Keyword, numeric, date and boolean fields: the whole text is one term.
            do {
                if fm.type.storage == .keyword, m.fuzziness != nil { return try multiTerm(MultiTermSpec(kind: .fuzzy, field: m.field, value: m.text, fuzziness: m.fuzziness, boost: m.boost), scoring: scoring) }
                return try termQuery(m.field, .string(m.text), caseInsensitive: false, boost: m.boost, scoring: scoring)
            } catch let e as QueryError where m.lenient { _ = e; return .empty }
        }
        try searchable(m.field, fm)
        let toks = try searchAnalyzer(fm, override: m.analyzer).tokens(m.text)
        if toks.isEmpty { return m.zeroTermsAll ? .constant(DocSets.all(segment.docCount), m.boost) : .empty }
        var lists: [Scored] = []
        for (k, t) in toks.enumerated() {
            if m.lastIsPrefix && k == toks.count - 1 {
                lists.append(try multiTerm(MultiTermSpec(kind: .prefix, field: m.field, value: t.text, maxExpansions: m.maxExpansions, boost: 1), scoring: scoring))
            } else if let fz = m.fuzziness {
                lists.append(try multiTerm(MultiTermSpec(kind: .fuzzy, field: m.field, value: t.text, fuzziness: fz, prefixLength: m.prefixLength, maxExpansions: m.maxExpansions, boost: 1), scoring: scoring))
            } else {
                lists.append(try scoredTerm(m.field, t.term, boost: 1))
            }
        }
        let needed = m.and ? lists.count : MinimumShouldMatch.resolve(m.minimumShouldMatch, optional: lists.count, default: 1)
        return Scored.or(lists, minMatch: max(needed, 1)).scaled(m.boost)
    }

    func phrase(_ p: PhraseSpec, scoring: Bool) throws -> Scored {
        guard let fm = mapping.resolve(p.field) else { return .empty }
        if fm.type.storage != .text { return try termQuery(p.field, .string(p.text), caseInsensitive: false, boost: p.boost, scoring: scoring) }
        try searchable(p.field, fm)
        let toks = try searchAnalyzer(fm, override: p.analyzer).tokens(p.text)
        if toks.isEmpty { return p.zeroTermsAll ? .constant(DocSets.all(segment.docCount), p.boost) : .empty }
        guard let dict = try segment.dictionary(p.field) else { return .empty }
        // Per phrase position: the term ordinals that may stand there (several for a prefix).
        var slots: [(offset: Int32, ords: [Int], terms: [[UInt8]])] = []
        let base = toks[0].position
        for (k, t) in toks.enumerated() {
            if p.prefix && k == toks.count - 1 {
                let ords = try expand(dict, .prefix, t.text, caseInsensitive: false, fuzziness: nil, prefixLength: 0, maxExpansions: p.maxExpansions)
                if ords.isEmpty { return .empty }
                slots.append((t.position - base, ords, ords.map { dict.term($0) }))
            } else {
                guard let o = dict.find(t.term) else { return .empty }
                slots.append((t.position - base, [o], [t.term]))
            }
        }
        if slots.count == 1 {
            return Scored.or(try slots[0].ords.map { try scoredTerm(p.field, dict.term($0), boost: 1) }).scaled(p.boost)
        }
        // Candidates first: the intersection of the slots' doc lists (cheap), rarest first;
        // each list is read once and keeps what its positions need.
        let lists = try slots.map { try $0.ords.map { try dict.postings($0) } }
        var candidates: [Int32]? = nil
        for k in slots.indices.sorted(by: { a, b in lists[a].reduce(0) { $0 + $1.docs.count } < lists[b].reduce(0) { $0 + $1.docs.count } }) {
            let docs = lists[k].count == 1 ? lists[k][0].docs : DocSets.union(lists[k].map { $0.docs })
            candidates = candidates.map { DocSets.intersect($0, docs) } ?? docs
            if candidates!.isEmpty { return .empty }
        }
        let cands = candidates!
        // Then positions, decoded only for candidates, all slots in one flat array (no array
        // per candidate): slot k's positions in candidate c are flat[starts[k][c]..<starts[k][c + 1]].
        var flat: [Int32] = [], starts: [[Int32]] = []
        for k in slots.indices {
            let base = Int32(flat.count)
            if lists[k].count == 1 {
                let (st, fl) = try dict.positions(lists[k][0], of: cands)
                flat.append(contentsOf: fl); starts.append(st.map { $0 + base })
            } else {
                // Several terms may stand here (a prefix): per candidate, theirs merged and sorted.
                let parts = try lists[k].map { try dict.positions($0, of: cands) }
                var st = [Int32](repeating: base, count: cands.count + 1)
                for c in cands.indices {
                    var merged: [Int32] = []
                    for (pst, pfl) in parts { merged.append(contentsOf: pfl[Int(pst[c])..<Int(pst[c + 1])]) }
                    flat.append(contentsOf: merged.sorted())
                    st[c + 1] = Int32(flat.count)
                }
                starts.append(st)
            }
        }
        let norms = try segment.norms(p.field)
        let idf = slots.reduce(0.0) { acc, s in acc + stats.idf(p.field, s.terms[0]) }
        let avgdl = stats.avgFieldLength(p.field)
        let offsets = slots.map { $0.offset }
        var out = Scored(docs: [], scores: [])
        flat.withUnsafeBufferPointer { all in
            var views = [UnsafeBufferPointer<Int32>](repeating: UnsafeBufferPointer(rebasing: all[0..<0]), count: slots.count)
            for (ci, d) in cands.enumerated() {
                for k in slots.indices { views[k] = UnsafeBufferPointer(rebasing: all[Int(starts[k][ci])..<Int(starts[k][ci + 1])]) }
                let freq = Self.phraseFreq(views, offsets: offsets, slop: p.slop)
                if freq > 0 {
                    out.docs.append(d)
                    out.scores.append(scoring ? Float(BM25.score(freq: freq, norm: norms.map { $0[Int(d)] }, avgdl: avgdl, idf: idf, boost: Double(p.boost))) : p.boost)
                }
            }
        }
        return out
    }

    /// Phrase frequency: exact matches count 1 each; within `slop`, a match at distance n counts
    /// 1/(n+1). `positions[k]`: ascending positions of the k-th phrase term in one document.
    static func phraseFreq(_ positions: [UnsafeBufferPointer<Int32>], offsets: [Int32], slop: Int) -> Double {
        var freq = 0.0
        for p0 in positions[0] {
            let anchor = p0 - offsets[0]
            if slop == 0 {
                var ok = true
                for k in 1..<positions.count where !binaryContains(positions[k], anchor + offsets[k]) { ok = false; break }
                if ok { freq += 1 }
                continue
            }
            // Nearest position of each term to where the anchor wants it; the spread is the distance.
            var lo = anchor, hi = anchor
            var ok = true
            for k in 1..<positions.count {
                let want = anchor + offsets[k]
                guard let q = nearest(positions[k], want) else { ok = false; break }
                let rel = q - offsets[k]
                lo = min(lo, rel); hi = max(hi, rel)
            }
            if ok && Int(hi - lo) <= slop { freq += 1.0 / Double(hi - lo + 1) }
        }
        return freq
    }

    static func binaryContains(_ a: UnsafeBufferPointer<Int32>, _ v: Int32) -> Bool {
        let lo = partitionPoint(0, a.count) { a[$0] >= v }
        return lo < a.count && a[lo] == v
    }

    static func nearest(_ a: UnsafeBufferPointer<Int32>, _ v: Int32) -> Int32? {
        guard !a.isEmpty else { return nil }
        let lo = partitionPoint(0, a.count) { a[$0] >= v }
        if lo == a.count { return a[lo - 1] }
        if lo == 0 { return a[0] }
        // Ties go to the lower position, as before.
        return abs(a[lo - 1] - v) <= abs(a[lo] - v) ? a[lo - 1] : a[lo]
    }

    /// prefix, wildcard, regexp and fuzzy: the matching terms of the field's dictionary.
    func multiTerm(_ m: MultiTermSpec, scoring: Bool) throws -> Scored {
        guard let fm = mapping.resolve(m.field) ?? (m.field == "_id" ? FieldMapping(type: .keyword) : nil) else { return .empty }
        try searchable(m.field, fm)
        guard fm.type.storage == .text || fm.type.storage == .keyword, let dict = try segment.dictionary(m.field) else {
            if fm.type.storage == .text || fm.type.storage == .keyword { return .empty }
            throw QueryError("query_shard_exception", "Can only use \(m.kind) queries on keyword and text fields - not on [\(m.field)] which is of type [\(fm.type.rawValue)]")
        }
        var value = m.value
        if let n = fm.normalizer { value = analysis.normalize(value, with: n) }
        let ords = try expand(dict, m.kind, value, caseInsensitive: m.caseInsensitive, fuzziness: m.fuzziness, prefixLength: m.prefixLength, maxExpansions: m.maxExpansions)
        if m.kind == .fuzzy && scoring {
            return Scored.or(try ords.map { try scoredTerm(m.field, dict.term($0), boost: 1) }).scaled(m.boost)
        }
        return .constant(DocSets.union(try ords.map { try dict.docs($0) }), m.boost)
    }

    /// Term ordinals matching a multi-term pattern, with Elasticsearch's expansion limits.
    func expand(_ dict: TermDictionary, _ kind: MultiTermSpec.Kind, _ value: String, caseInsensitive: Bool, fuzziness: String?,
                prefixLength: Int, maxExpansions: Int) throws -> [Int] {
        var out: [Int] = []
        func add(_ o: Int) throws {
            out.append(o)
            if out.count > Limits.maxTermExpansions {
                throw QueryError("too_many_clauses", "expansion of [\(EngineError.clip(value, max: 64))] exceeds \(Limits.maxTermExpansions) terms; narrow the pattern")
            }
        }
        switch kind {
        case .prefix where !caseInsensitive:
            let p = Array(value.utf8)
            var o = dict.lowerBound(p)
            while o < dict.count && dict.term(o).starts(with: p) { try add(o); o += 1 }
        case .prefix:
            let p = value.lowercased()
            for o in 0..<dict.count where dict.termString(o).lowercased().hasPrefix(p) { try add(o) }
        case .wildcard:
            let pat = caseInsensitive ? value.lowercased() : value
            let literal = Array(pat.utf8.prefix { $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "\\") })
            var o = caseInsensitive ? 0 : dict.lowerBound(literal)
            let matcher = Wildcard(pat)
            while o < dict.count {
                let t = dict.term(o)
                if !caseInsensitive && !t.starts(with: literal) { break }
                if matcher.matches(caseInsensitive ? Array(String(decoding: t, as: UTF8.self).lowercased().utf8) : t) { try add(o) }
                o += 1
            }
        case .regexp:
            let re = try BoundedRegex(lucene: value, caseInsensitive: caseInsensitive, context: "Regexp Query request")
            for o in 0..<dict.count where try re.matches(dict.termString(o)) { try add(o) }
        case .fuzzy:
            let target = Array(value.unicodeScalars)
            let maxEdits = Fuzziness.edits(fuzziness ?? "AUTO", length: target.count)
            let prefix = String(String.UnicodeScalarView(target.prefix(prefixLength)))
            var o = prefixLength > 0 ? dict.lowerBound(Array(prefix.utf8)) : 0
            var scored: [(Int, Int)] = []
            while o < dict.count {
                let s = dict.termString(o)
                if prefixLength > 0 && !s.hasPrefix(prefix) { break }
                let d = Fuzziness.distance(Array(s.unicodeScalars), target, max: maxEdits)
                if d <= maxEdits { scored.append((o, d)) }
                o += 1
            }
            // Closest terms first, at most max_expansions of them.
            out = scored.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(max(1, maxExpansions)).map { $0.0 }.sorted()
        }
        return out
    }
}

/// `*` and `?` glob over bytes, `\` escaping either.
struct Wildcard {
    enum Tok { case lit(UInt8), any, one }
    let toks: [Tok]
    init(_ p: String) {
        var t: [Tok] = []
        var esc = false
        for b in p.utf8 {
            if esc { t.append(.lit(b)); esc = false }
            else if b == UInt8(ascii: "\\") { esc = true }
            else if b == UInt8(ascii: "*") { t.append(.any) }
            else if b == UInt8(ascii: "?") { t.append(.one) }
            else { t.append(.lit(b)) }
        }
        toks = t
    }
    func matches(_ s: [UInt8]) -> Bool {
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < toks.count, case .lit(let c) = toks[pi], c == s[si] { pi += 1; si += 1 }
            else if pi < toks.count, case .one = toks[pi] {
                // `?` is one character: skip a whole UTF-8 scalar.
                si += 1
                while si < s.count && s[si] & 0xC0 == 0x80 { si += 1 }
                pi += 1
            }
            else if pi < toks.count, case .any = toks[pi] { star = pi; mark = si; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; si = mark }
            else { return false }
        }
        while pi < toks.count, case .any = toks[pi] { pi += 1 }
        return pi == toks.count
    }
}

/// Lucene regular expression syntax into ICU's: Lucene's is anchored, has no `\d`-style classes
/// or `^$` anchors, and reads `<n-m>` numeric ranges, `@` (anything) and `#` (empty) specially.
enum LuceneRegex {
    /// Lucene's syntax in ICU's; `<lo-hi>` intervals become alternations (at most 10,000
    /// numbers, lo ≤ hi), anything else malformed is left for ICU to refuse.
    static func translate(_ p: String) throws -> String {
        var out = ""
        var chars = Array(p)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            switch c {
            case "\\": if let n = chars.first { out += "\\" + String(n); chars = chars.dropFirst() }
            case "@": out += ".*"
            case "#": out += "(?!)"
            case "^", "$": out += "\\" + String(c)
            case "<":
                if let close = chars.firstIndex(of: ">") {
                    let body = String(chars[chars.startIndex..<close])
                    let parts = body.split(separator: "-")
                    if parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]) {
                        guard lo >= 0, lo <= hi, hi - lo < 10_000 else {
                            throw QueryError.illegal("invalid numeric interval <\(Param.clip(body))> in regular expression: it needs 0 <= low <= high and at most 10,000 values")
                        }
                        out += "(?:" + (lo...hi).map(String.init).joined(separator: "|") + ")"
                        chars = chars[chars.index(after: close)...]
                        continue
                    }
                }
                out += "<"
            default: out.append(c)
            }
        }
        return out
    }
}

/// Elasticsearch's `fuzziness` (`AUTO`, `AUTO:3,6`, `0`, `1`, `2`) and a bounded
/// Damerau-Levenshtein distance.
enum Fuzziness {
    /// `fuzziness` checked where parsed: `AUTO`, `AUTO:low,high` (0 ≤ low ≤ high), or an edit
    /// distance of 0, 1 or 2 (a fuzzy query refuses more; `match` takes at most 2 as ES does).
    static func validate(_ v: Any?) throws -> String? {
        guard let v, !(v is NSNull) else { return nil }
        let s: String
        switch v {
        case let x as String: s = x.trimmingCharacters(in: .whitespaces)
        case let n as NSNumber where !Param.isBool(n): s = n.stringValue
        default: throw QueryError.parsing("[fuzziness] must be a number or a string")
        }
        let u = s.uppercased()
        if u == "AUTO" { return "AUTO" }
        if u.hasPrefix("AUTO:") {
            let parts = u.dropFirst(5).split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo >= 0, hi >= lo, hi <= Int(Int32.max) else {
                throw QueryError("parse_exception", "failed to find low and high distance values: [fuzziness] must be AUTO:low,high with 0 <= low <= high")
            }
            return u
        }
        guard let d = Double(s), d.isFinite, d >= 0 else {
            throw QueryError("parse_exception", "[fuzziness] must be AUTO, AUTO:low,high or an edit distance of 0, 1 or 2, got [\(Param.clip(s))]")
        }
        guard d <= 2 else { throw QueryError.illegal("Valid edit distances are [0, 1, 2] but was [\(Param.clip(s))]") }
        return String(Int(d))
    }

    static func edits(_ f: String, length: Int) -> Int {
        let u = f.uppercased()
        if u.hasPrefix("AUTO") {
            var lo = 3, hi = 6
            if let colon = u.firstIndex(of: ":") {
                let parts = u[u.index(after: colon)...].split(separator: ",").compactMap { Int($0) }
                if parts.count == 2 { lo = parts[0]; hi = parts[1] }
            }
            return length < lo ? 0 : length < hi ? 1 : 2
        }
        guard let d = Double(f), d.isFinite else { return 0 }
        return Int(min(2, max(0, d)))
    }

    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], max limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        let n = a.count, m = b.count
        var prev2 = [Int](repeating: 0, count: m + 1)
        var prev = Array(0...m)
        var cur = [Int](repeating: 0, count: m + 1)
        for i in 1...max(n, 1) where n > 0 {
            cur[0] = i
            var rowMin = cur[0]
            for j in 1...max(m, 1) where m > 0 {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] { cur[j] = Swift.min(cur[j], prev2[j - 2] + 1) }
                rowMin = Swift.min(rowMin, cur[j])
            }
            if rowMin > limit { return limit + 1 }
            prev2 = prev; prev = cur
        }
        return n == 0 ? m : m == 0 ? n : prev[m]
    }
}
