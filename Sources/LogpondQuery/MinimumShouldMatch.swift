import Foundation

/// Elasticsearch's `minimum_should_match` forms: `3`, `-2`, `75%`, `-25%`, `3<90%`, `2<-25% 9<-3`.
enum MinimumShouldMatch {
    /// Checks the syntax once where the request is parsed (numbers within Int32, percentages
    /// within ±100), so `resolve` works on values that cannot overflow.
    static func validate(_ v: Any?) throws -> String? {
        guard let v, !(v is NSNull) else { return nil }
        let spec: String
        switch v {
        case let s as String: spec = s.trimmingCharacters(in: .whitespaces)
        case let n as NSNumber where !Param.isBool(n):
            guard let i = try Param.int(n, "minimum_should_match", min: Int(Int32.min), max: Int(Int32.max)) else { return nil }
            return String(i)
        default: throw QueryError.parsing("[minimum_should_match] must be a number or a string")
        }
        func bad() -> QueryError { QueryError.illegal("[minimum_should_match] has an invalid value [\(Param.clip(spec))]: use a number, a percentage or conditions such as 3<90%") }
        func simpleOK(_ s: Substring) -> Bool {
            if s.hasSuffix("%") {
                guard let p = Int(s.dropLast()), p >= -100, p <= 100 else { return false }
                return true
            }
            guard let n = Int(s), n >= Int(Int32.min), n <= Int(Int32.max) else { return false }
            return true
        }
        if spec.isEmpty { return nil }
        if spec.contains("<") {
            for part in spec.split(separator: " ") {
                let kv = part.split(separator: "<", omittingEmptySubsequences: false)
                guard kv.count == 2, let k = Int(kv[0]), k >= 0, k <= Int(Int32.max), simpleOK(kv[1]) else { throw bad() }
            }
        } else if !simpleOK(Substring(spec)) { throw bad() }
        return spec
    }


    /// How many of `n` optional clauses must match. `clamp: false` (a `bool` query, as
    /// Elasticsearch's Lucene BooleanQuery) lets it exceed `n`: then nothing matches.
    static func resolve(_ spec: String?, optional n: Int, default d: Int, clamp: Bool = true) -> Int {
        guard let spec = spec?.trimmingCharacters(in: .whitespaces), !spec.isEmpty else { return d }
        if spec.contains("<") {
            // Conditional: for each "k<v", when n > k apply v; otherwise all are required.
            var result = n
            for part in spec.split(separator: " ") {
                let kv = part.split(separator: "<")
                guard kv.count == 2, let k = Int(kv[0]) else { continue }
                if n > k { result = simple(String(kv[1]), n) }
            }
            return clamp ? min(max(result, 0), n) : max(result, 0)
        }
        return clamp ? min(max(simple(spec, n), 0), n) : max(simple(spec, n), 0)
    }

    static func simple(_ s: String, _ n: Int) -> Int {
        if s.hasSuffix("%"), let p = Double(s.dropLast()) {
            let v = Int((Double(n) * abs(p) / 100).rounded(.down))
            return p < 0 ? n - v : v
        }
        if let v = Int(s) { return v < 0 ? n + v : v }
        return 0
    }
}

import Foundation
