/// Elasticsearch's `minimum_should_match` forms: `3`, `-2`, `75%`, `-25%`, `3<90%`, `2<-25% 9<-3`.
enum MinimumShouldMatch {
    static func resolve(_ spec: String?, optional n: Int, default d: Int) -> Int {
        guard let spec = spec?.trimmingCharacters(in: .whitespaces), !spec.isEmpty else { return d }
        if spec.contains("<") {
            // Conditional: for each "k<v", when n > k apply v; otherwise all are required.
            var result = n
            for part in spec.split(separator: " ") {
                let kv = part.split(separator: "<")
                guard kv.count == 2, let k = Int(kv[0]) else { continue }
                if n > k { result = simple(String(kv[1]), n) }
            }
            return min(max(result, 0), n)
        }
        return min(max(simple(spec, n), 0), n)
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
