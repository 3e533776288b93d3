import Foundation

/// Pipeline aggregations: parent ones (derivative, cumulative_sum, moving_fn, bucket_script,
/// bucket_selector) add values to the buckets of their histogram; sibling ones (avg/max/min/
/// sum_bucket) summarise another aggregation's buckets.
extension AggNode {
    func bucketsPath() -> [String: String] {
        switch body["buckets_path"] {
        case let s as String: return ["_value": s]
        case let d as [String: Any]: return d.mapValues { "\($0)" }
        default: return [:]
        }
    }

    func applyPipelines(_ bs: [RBucket], _ out: RAgg) throws {
        for p in pipelines {
            let paths = p.bucketsPath()
            guard let path = paths["_value"] ?? paths.values.first else {
                throw QueryError.parsing("[buckets_path] must be set for [\(p.type)] aggregation [\(p.name)]")
            }
            switch p.type {
            case "derivative":
                var prev: Double? = nil
                for b in bs {
                    let v = b.value(path)
                    if let v, let pv = prev { b.subs.append((p.name, metric(v - pv))) }
                    prev = v ?? prev
                }
            case "cumulative_sum":
                var total = 0.0
                for b in bs { total += b.value(path) ?? 0; b.subs.append((p.name, metric(total))) }
            case "moving_fn", "moving_avg":
                // window ≥ 1 and |shift| < 2^31 were checked at parse time (AggValidate), so
                // these sums cannot overflow; the window is clamped to the buckets.
                let window = (p.body["window"] as? Int) ?? 5
                let shift = (p.body["shift"] as? Int) ?? 0
                let script = (p.body["script"] as? String) ?? "MovingFunctions.unweightedAvg(values)"
                let values = bs.map { $0.value(path) }
                for (i, b) in bs.enumerated() {
                    let end = min(max(i + shift, 0), values.count), start = min(max(end - window, 0), end)
                    let win = values[start..<end].compactMap { $0 }
                    let v = MovingFunctions.eval(script, Array(win))
                    b.subs.append((p.name, metric(v)))
                }
            case "bucket_script", "bucket_selector":
                guard let script = (p.body["script"] as? String) ?? ((p.body["script"] as? [String: Any])?["source"] as? String) else {
                    throw QueryError.parsing("[script] is required for [\(p.type)] aggregation [\(p.name)]")
                }
                let expr = try AggScript.parse(script)
                var keep: [RBucket] = []
                for b in bs {
                    var vars: [String: Double] = [:]
                    var missing = false
                    for (k, pth) in paths { if let v = b.value(pth) { vars[k] = v } else { missing = true } }
                    if missing { if p.type == "bucket_selector" { keep.append(b) }; continue }
                    let r = try expr.eval(vars)
                    if p.type == "bucket_script" { b.subs.append((p.name, metric(r))) }
                    else if r != 0 { keep.append(b) }
                }
                if p.type == "bucket_selector" { out.buckets = keep }
            default: break
            }
        }
    }

    func metric(_ v: Double?) -> RAgg {
        let r = RAgg()
        r.value = v
        r.body = [("value", v.map { $0 as Any } ?? NSNull())]
        return r
    }

    /// A sibling pipeline over `rendered` aggregations of the same level.
    func renderSibling(_ rendered: [String: RAgg]) throws -> RAgg {
        let path = bucketsPath()["_value"] ?? ""
        guard let gt = path.firstIndex(of: ">") else { throw QueryError.parsing("[buckets_path] of [\(name)] must point into a multi-bucket aggregation (agg>metric)") }
        let aggName = String(path[..<gt]), rest = String(path[path.index(after: gt)...])
        guard let target = rendered[aggName], let bs = target.buckets else {
            throw QueryError("aggregation_execution_exception", "No aggregation found for path [\(path)]")
        }
        let vals = bs.compactMap { b in b.value(rest).map { (b, $0) } }
        let out = RAgg()
        var v: Double? = nil
        var keys: [Any] = []
        switch type {
        case "avg_bucket": v = vals.isEmpty ? nil : vals.reduce(0) { $0 + $1.1 } / Double(vals.count)
        case "sum_bucket": v = vals.reduce(0) { $0 + $1.1 }
        case "max_bucket", "min_bucket":
            let best = type == "max_bucket" ? vals.map { $0.1 }.max() : vals.map { $0.1 }.min()
            v = best
            keys = vals.filter { $0.1 == best }.map { $0.0.keyAsString ?? "\($0.0.key)" }
        default: break
        }
        out.value = v
        out.body = [("value", v.map { $0 as Any } ?? NSNull())]
        if type == "max_bucket" || type == "min_bucket" { out.body.append(("keys", keys)) }
        return out
    }
}

/// The `MovingFunctions` Grafana's moving_fn uses.
enum MovingFunctions {
    static func eval(_ script: String, _ v: [Double]) -> Double? {
        if v.isEmpty { return script.contains("sum") ? 0 : nil }
        if script.contains("unweightedAvg") { return v.reduce(0, +) / Double(v.count) }
        if script.contains("linearWeightedAvg") {
            let w = (1...v.count).map(Double.init)
            return zip(v, w).reduce(0) { $0 + $1.0 * $1.1 } / w.reduce(0, +)
        }
        if script.contains(".max") { return v.max() }
        if script.contains(".min") { return v.min() }
        if script.contains(".sum") { return v.reduce(0, +) }
        if script.contains("stdDev") {
            let m = v.reduce(0, +) / Double(v.count)
            return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
        }
        return v.reduce(0, +) / Double(v.count)
    }
}

/// The arithmetic Painless subset bucket_script and bucket_selector scripts use:
/// `params.x`, numbers, `+ - * /`, `%`, comparisons, `&& || !`, parentheses.
indirect enum AggScript {
    case num(Double), param(String), unary(Character, AggScript), binary(String, AggScript, AggScript)

    static func parse(_ s: String) throws -> AggScript {
        var p = Parser(chars: Array(s), i: 0, depth: 0, nodes: 0)
        let e = try p.expr(0)
        p.skip()
        if p.i < p.chars.count { throw QueryError("script_exception", "compile error in [\(s.prefix(100))]: unexpected '\(p.chars[p.i])'") }
        return e
    }

    func eval(_ vars: [String: Double]) throws -> Double {
        switch self {
        case .num(let d): return d
        case .param(let n):
            guard let v = vars[n] else { throw QueryError("script_exception", "runtime error: params.\(n) is not set") }
            return v
        case .unary(let op, let e): let v = try e.eval(vars); return op == "-" ? -v : (v == 0 ? 1 : 0)
        case .binary(let op, let a, let b):
            let x = try a.eval(vars), y = try b.eval(vars)
            switch op {
            case "+": return x + y
            case "-": return x - y
            case "*": return x * y
            case "/": return x / y
            case "%": return x.truncatingRemainder(dividingBy: y)
            case ">": return x > y ? 1 : 0
            case "<": return x < y ? 1 : 0
            case ">=": return x >= y ? 1 : 0
            case "<=": return x <= y ? 1 : 0
            case "==": return x == y ? 1 : 0
            case "!=": return x != y ? 1 : 0
            case "&&": return x != 0 && y != 0 ? 1 : 0
            default: return x != 0 || y != 0 ? 1 : 0
            }
        }
    }

    struct Parser {
        let chars: [Character]
        var i: Int
        /// Nesting (parentheses, unary operators) and nodes so far: both bounded, so neither
        /// parsing nor evaluating (recursive over the tree) can run off the stack.
        var depth: Int
        var nodes: Int
        static let maxNodes = 1024

        mutating func enter() throws {
            depth += 1; nodes += 1
            guard depth <= Limits.maxQueryStringDepth, nodes <= Self.maxNodes else {
                throw QueryError("script_exception", "compile error: the script nests deeper than \(Limits.maxQueryStringDepth) levels or has more than \(Self.maxNodes) terms")
            }
        }
        static let prec: [String: Int] = ["||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6]

        mutating func skip() { while i < chars.count && chars[i].isWhitespace { i += 1 } }

        mutating func op() -> String? {
            skip()
            guard i < chars.count else { return nil }
            let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
            if Self.prec[two] != nil { return two }
            let one = String(chars[i])
            return Self.prec[one] != nil ? one : nil
        }

        mutating func expr(_ minPrec: Int) throws -> AggScript {
            try enter()
            defer { depth -= 1 }
            var lhs = try atom()
            while let o = op(), let p = Self.prec[o], p > minPrec {
                i += o.count
                let rhs = try expr(p)
                lhs = .binary(o, lhs, rhs)
            }
            return lhs
        }

        mutating func atom() throws -> AggScript {
            skip()
            guard i < chars.count else { throw QueryError("script_exception", "unexpected end of script") }
            let c = chars[i]
            if c == "(" { i += 1; let e = try expr(0); skip(); guard i < chars.count, chars[i] == ")" else { throw QueryError("script_exception", "missing ')'") }; i += 1; return e }
            if c == "-" || c == "!" {
                i += 1
                try enter()
                defer { depth -= 1 }
                return .unary(c, try atom())
            }
            if c.isNumber || c == "." {
                var s = ""
                while i < chars.count && (chars[i].isNumber || chars[i] == ".") { s.append(chars[i]); i += 1 }
                return .num(Double(s) ?? 0)
            }
            var word = ""
            while i < chars.count && (chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == ".") { word.append(chars[i]); i += 1 }
            if word.hasPrefix("params.") { return .param(String(word.dropFirst(7))) }
            if word.isEmpty { throw QueryError("script_exception", "unexpected '\(c)'") }
            return .param(word)
        }
    }
}

/// Java-style date patterns for `format` on date_histogram keys (`yyyy-MM-dd`, `HH:mm`, …).
enum JavaDateFormat {
    static func format(_ ms: Int64, _ pattern: String) -> String? {
        let iso = LogpondEngineDate.iso(ms)   // yyyy-MM-ddTHH:mm:ss.SSSZ
        let c = Array(iso)
        // Years outside 0000–9999 print longer or signed: no fixed columns to cut.
        guard c.count == 24, c[4] == "-" else { return nil }
        let parts: [String: String] = ["yyyy": String(c[0..<4]), "MM": String(c[5..<7]), "dd": String(c[8..<10]), "HH": String(c[11..<13]),
                                       "mm": String(c[14..<16]), "ss": String(c[17..<19]), "SSS": String(c[20..<23])]
        var out = ""
        var p = Array(pattern)[...]
        outer: while !p.isEmpty {
            if p.first == "'" {
                p = p.dropFirst()
                while let ch = p.first, ch != "'" { out.append(ch); p = p.dropFirst() }
                p = p.dropFirst()
                continue
            }
            for token in ["yyyy", "SSS", "MM", "dd", "HH", "mm", "ss"] where p.starts(with: token) {
                out += parts[token]!
                p = p.dropFirst(token.count)
                continue outer
            }
            if let ch = p.first, ch.isLetter { return nil }
            out.append(p.first!)
            p = p.dropFirst()
        }
        return out
    }
}

import LogpondEngine
enum LogpondEngineDate { static func iso(_ ms: Int64) -> String { DateParser.format(millis: ms) } }
