import Foundation
import LogpondEngine

/// A parsed Lucene query string (`query_string`, `q=`), before fields and analyzers resolve it.
public indirect enum LuceneNode: Sendable {
    /// `byDefault`: no operator was written; `default_operator` decides.
    public enum Occur: Sendable { case must, should, mustNot, byDefault }
    case term(field: String?, text: String, fuzzy: String?, boost: Float)
    case phrase(field: String?, text: String, slop: Int, boost: Float)
    case wildcard(field: String?, pattern: String, boost: Float)
    case regex(field: String?, pattern: String, boost: Float)
    case range(field: String?, lo: String?, hi: String?, includeLo: Bool, includeHi: Bool, boost: Float)
    case exists(field: String)
    case matchAll
    case bool([(Occur, LuceneNode)], boost: Float)
}

/// Lucene's classic query syntax as Elasticsearch's `query_string` reads it: `field:value`,
/// quoted phrases with `~slop`, `AND OR NOT && || !`, `+`/`-`, grouping, `*`/`?` wildcards,
/// `/regex/`, `[a TO b]`/`{a TO b}`, `>=`-style ranges, `_exists_`, `~` fuzziness, `^` boosts, `\` escapes.
public struct LuceneParser {
    enum Conj { case none, and, or }
    enum Mod { case none, required, not }

    let s: [Character]
    var i = 0
    /// Open parentheses around the current position: bounded by `Limits.maxQueryStringDepth`.
    var depth = 0

    public static func parse(_ text: String) throws -> LuceneNode {
        var p = LuceneParser(s: Array(text), i: 0)
        let node = try p.parseQuery(until: nil)
        p.skipSpace()
        if p.i < p.s.count { throw p.error("Encountered \"\(p.s[p.i])\"") }
        if leaves(node, stopAt: Limits.maxClauseCount + 1) > Limits.maxClauseCount {
            throw QueryError("too_many_clauses", "maxClauseCount is set to \(Limits.maxClauseCount)")
        }
        return node
    }

    /// Leaves of a parsed query, counting stops past `stopAt`.
    static func leaves(_ n: LuceneNode, stopAt: Int) -> Int {
        guard case .bool(let cs, _) = n else { return 1 }
        var total = 0
        for c in cs { total += leaves(c.1, stopAt: stopAt); if total >= stopAt { break } }
        return total
    }

    /// A parenthesised group, one level deeper.
    mutating func group() throws -> LuceneNode {
        i += 1
        depth += 1
        guard depth <= Limits.maxQueryStringDepth else { throw error("parentheses nested deeper than \(Limits.maxQueryStringDepth) levels") }
        let q = try parseQuery(until: ")")
        guard i < s.count, s[i] == ")" else { throw error("missing ')'") }
        i += 1
        depth -= 1
        return q
    }

    func error(_ what: String) -> QueryError {
        QueryError("query_shard_exception", "Failed to parse query [\(String(s).prefix(200))]: Cannot parse: \(what) at column \(i + 1)")
    }

    mutating func skipSpace() { while i < s.count && s[i].isWhitespace { i += 1 } }

    func peekWord(_ w: String) -> Bool {
        let chars = Array(w)
        guard i + chars.count <= s.count, Array(s[i..<(i + chars.count)]) == chars else { return false }
        return i + chars.count == s.count || s[i + chars.count].isWhitespace || s[i + chars.count] == "("
    }

    /// A sequence of clauses joined as Lucene's QueryParserBase.addClause does, with the default
    /// operator decided later (`defaultAnd` is applied by marking clauses `.should` vs `.must`).
    mutating func parseQuery(until close: Character?) throws -> LuceneNode {
        var clauses: [(occur: LuceneNode.Occur, node: LuceneNode, conj: Conj, mod: Mod)] = []
        while true {
            skipSpace()
            if i >= s.count { break }
            if let c = close, s[i] == c { break }
            var conj = Conj.none
            if peekWord("AND") { conj = .and; i += 3 } else if peekWord("OR") { conj = .or; i += 2 }
            else if s[i] == "&" && i + 1 < s.count && s[i + 1] == "&" { conj = .and; i += 2 }
            else if s[i] == "|" && i + 1 < s.count && s[i + 1] == "|" { conj = .or; i += 2 }
            skipSpace()
            var mod = Mod.none
            if i < s.count {
                if s[i] == "+" { mod = .required; i += 1 }
                else if s[i] == "-" || (s[i] == "!" && (i + 1 >= s.count || s[i + 1] != "=")) { mod = .not; i += 1 }
                else if peekWord("NOT") { mod = .not; i += 3 }
            }
            skipSpace()
            guard i < s.count else { throw error("unexpected end of query") }
            let node = try parseClause()
            if conj == .and, !clauses.isEmpty, clauses[clauses.count - 1].mod != .not { clauses[clauses.count - 1].conj = .and }
            if conj == .or, !clauses.isEmpty, clauses[clauses.count - 1].mod != .not, clauses[clauses.count - 1].conj != .and {
                clauses[clauses.count - 1].conj = .or
            }
            clauses.append((mod == .not ? .mustNot : mod == .required ? .must : .should, node, conj, mod))
        }
        // Resolve occurrences: AND-joined neighbours are required; explicit +/- win.
        var out: [(LuceneNode.Occur, LuceneNode)] = []
        for (k, c) in clauses.enumerated() {
            var occur = c.occur
            if c.mod == .none {
                let andBefore = c.conj == .and
                let andAfter = k + 1 < clauses.count && clauses[k + 1].conj == .and
                if andBefore || andAfter { occur = .must }
                else if c.conj == .or || (k + 1 < clauses.count && clauses[k + 1].conj == .or) { occur = .should }
                else { occur = .byDefault }
            }
            out.append((occur, c.node))
        }
        if out.count == 1, out[0].0 == .should || out[0].0 == .byDefault { return out[0].1 }
        return .bool(out, boost: 1)
    }

    mutating func parseClause() throws -> LuceneNode {
        if s[i] == "(" {
            let q = try group()
            return withBoost(q, try parseBoost())
        }
        // field name?
        var save = i
        let word = readTerm()
        if i < s.count && s[i] == ":" && !word.isEmpty {
            i += 1
            let field = unescape(word)
            skipSpace()
            if field == "_exists_" { let f = readTerm(); return .exists(field: unescape(f)) }
            return try parseValue(field: field)
        }
        i = save
        save = i
        return try parseValue(field: nil)
    }

    mutating func parseValue(field: String?) throws -> LuceneNode {
        guard i < s.count else { throw error("missing value") }
        let c = s[i]
        if c == "(" {
            let q = try group()
            return withBoost(applyField(q, field), try parseBoost())
        }
        if c == "\"" {
            i += 1
            var text = ""
            while i < s.count && s[i] != "\"" {
                if s[i] == "\\" && i + 1 < s.count { text.append(s[i + 1]); i += 2; continue }
                text.append(s[i]); i += 1
            }
            guard i < s.count else { throw error("unterminated phrase") }
            i += 1
            var slop = 0
            if i < s.count && s[i] == "~" { i += 1; slop = Int(readNumber()) ?? 0 }
            return .phrase(field: field, text: text, slop: slop, boost: try parseBoost())
        }
        if c == "/" {
            i += 1
            var pat = ""
            while i < s.count && s[i] != "/" {
                if s[i] == "\\" && i + 1 < s.count { pat.append(s[i]); pat.append(s[i + 1]); i += 2; continue }
                pat.append(s[i]); i += 1
            }
            guard i < s.count else { throw error("unterminated regular expression") }
            i += 1
            return .regex(field: field, pattern: pat, boost: try parseBoost())
        }
        if c == "[" || c == "{" {
            i += 1
            skipSpace()
            let lo = readRangeBound()
            skipSpace()
            guard peekWord("TO") else { throw error("expected TO in range") }
            i += 2
            skipSpace()
            let hi = readRangeBound()
            skipSpace()
            guard i < s.count, s[i] == "]" || s[i] == "}" else { throw error("unterminated range") }
            let incHi = s[i] == "]"
            i += 1
            return .range(field: field, lo: lo == "*" ? nil : lo, hi: hi == "*" ? nil : hi, includeLo: c == "[", includeHi: incHi, boost: try parseBoost())
        }
        if c == ">" || c == "<" {
            i += 1
            var inclusive = false
            if i < s.count && s[i] == "=" { inclusive = true; i += 1 }
            let v = readRangeBound()
            if c == ">" { return .range(field: field, lo: v, hi: nil, includeLo: inclusive, includeHi: true, boost: 1) }
            return .range(field: field, lo: nil, hi: v, includeLo: true, includeHi: inclusive, boost: 1)
        }
        let raw = readTerm()
        guard !raw.isEmpty else { throw error("Encountered \"\(c)\"") }
        var fuzzy: String? = nil
        if i < s.count && s[i] == "~" {
            i += 1
            let n = readNumber()
            fuzzy = n.isEmpty ? "AUTO" : n
        }
        let boost = try parseBoost()
        if raw == "*" { return field.map { .exists(field: $0) } ?? .matchAll }
        if unescapedHasWildcard(raw) { return .wildcard(field: field, pattern: unescapeKeepingWildcards(raw), boost: boost) }
        return .term(field: field, text: unescape(raw), fuzzy: fuzzy, boost: boost)
    }

    func applyField(_ n: LuceneNode, _ field: String?) -> LuceneNode {
        guard let field else { return n }
        switch n {
        case .term(nil, let t, let f, let b): return .term(field: field, text: t, fuzzy: f, boost: b)
        case .phrase(nil, let t, let sl, let b): return .phrase(field: field, text: t, slop: sl, boost: b)
        case .wildcard(nil, let p, let b): return .wildcard(field: field, pattern: p, boost: b)
        case .regex(nil, let p, let b): return .regex(field: field, pattern: p, boost: b)
        case .range(nil, let lo, let hi, let il, let ih, let b): return .range(field: field, lo: lo, hi: hi, includeLo: il, includeHi: ih, boost: b)
        case .matchAll: return .exists(field: field)
        case .bool(let cs, let b): return .bool(cs.map { ($0.0, applyField($0.1, field)) }, boost: b)
        default: return n
        }
    }

    func withBoost(_ n: LuceneNode, _ boost: Float) -> LuceneNode {
        guard boost != 1 else { return n }
        switch n {
        case .bool(let cs, let b): return .bool(cs, boost: b * boost)
        default: return .bool([(.must, n)], boost: boost)
        }
    }

    mutating func parseBoost() throws -> Float {
        guard i < s.count, s[i] == "^" else { return 1 }
        i += 1
        guard let b = Float(readNumber()) else { throw error("bad boost") }
        return b
    }

    mutating func readNumber() -> String {
        var out = ""
        while i < s.count && (s[i].isNumber || s[i] == ".") { out.append(s[i]); i += 1 }
        return out
    }

    static let special: Set<Character> = ["(", ")", ":", "^", "\"", "[", "]", "{", "}", "~", "/"]

    /// A term, keeping backslash escapes (so field names and wildcards can tell them apart).
    mutating func readTerm() -> String {
        var out = ""
        while i < s.count {
            let c = s[i]
            if c == "\\" && i + 1 < s.count { out.append(c); out.append(s[i + 1]); i += 2; continue }
            if c.isWhitespace || Self.special.contains(c) { break }
            if (c == "&" || c == "|") && i + 1 < s.count && s[i + 1] == c { break }
            out.append(c); i += 1
        }
        return out
    }

    mutating func readRangeBound() -> String {
        if i < s.count && s[i] == "\"" {
            i += 1
            var out = ""
            while i < s.count && s[i] != "\"" { out.append(s[i]); i += 1 }
            if i < s.count { i += 1 }
            return out
        }
        var out = ""
        while i < s.count && !s[i].isWhitespace && s[i] != "]" && s[i] != "}" {
            if s[i] == "\\" && i + 1 < s.count { out.append(s[i + 1]); i += 2; continue }
            out.append(s[i]); i += 1
        }
        return out
    }

    func unescape(_ t: String) -> String {
        var out = ""
        var esc = false
        for c in t { if esc { out.append(c); esc = false } else if c == "\\" { esc = true } else { out.append(c) } }
        return out
    }

    func unescapedHasWildcard(_ t: String) -> Bool {
        var esc = false
        for c in t { if esc { esc = false } else if c == "\\" { esc = true } else if c == "*" || c == "?" { return true } }
        return false
    }

    /// Unescapes everything but `\*` and `\?`, which stay literal for the wildcard matcher.
    func unescapeKeepingWildcards(_ t: String) -> String {
        var out = ""
        var esc = false
        for c in t {
            if esc { if c == "*" || c == "?" || c == "\\" { out.append("\\") }; out.append(c); esc = false }
            else if c == "\\" { esc = true } else { out.append(c) }
        }
        return out
    }
}

/// `simple_query_string`: `+` AND, `|` OR, `-` NOT, `"phrases"~N`, `prefix*`, `word~N`,
/// parentheses; never fails, as Elasticsearch's does not.
enum SimpleQueryStringParser {
    static func parse(_ text: String, flags: String?) -> LuceneNode {
        var out: [(LuceneNode.Occur, LuceneNode)] = []
        let chars = Array(text)
        var i = 0
        var pendingOr = false
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if c == "|" { pendingOr = true; i += 1; continue }
            if c == "+" { i += 1; continue }
            var negate = false
            if c == "-" { negate = true; i += 1 }
            guard i < chars.count else { break }
            var node: LuceneNode
            if chars[i] == "\"" {
                i += 1
                var t = ""
                while i < chars.count && chars[i] != "\"" { t.append(chars[i]); i += 1 }
                i += 1
                var slop = 0
                if i < chars.count && chars[i] == "~" { i += 1; var n = ""; while i < chars.count && chars[i].isNumber { n.append(chars[i]); i += 1 }; slop = Int(n) ?? 0 }
                node = .phrase(field: nil, text: t, slop: slop, boost: 1)
            } else {
                var t = ""
                while i < chars.count && !chars[i].isWhitespace && !"|+()\"".contains(chars[i]) { t.append(chars[i]); i += 1 }
                if t.hasSuffix("*") { node = .wildcard(field: nil, pattern: t, boost: 1) }
                else if let tilde = t.lastIndex(of: "~") { node = .term(field: nil, text: String(t[..<tilde]), fuzzy: String(t[t.index(after: tilde)...]).isEmpty ? "AUTO" : String(t[t.index(after: tilde)...]), boost: 1) }
                else { node = .term(field: nil, text: t, fuzzy: nil, boost: 1) }
                if t.isEmpty { i += 1; continue }
            }
            // Elasticsearch reads `-x` as an operand "not x" joined by the default operator.
            let operand: LuceneNode = negate ? .bool([(.mustNot, node)], boost: 1) : node
            out.append((pendingOr ? .should : .byDefault, operand))
            _ = pendingOr
            pendingOr = false
        }
        return out.count == 1 ? out[0].1 : .bool(out, boost: 1)
    }
}
