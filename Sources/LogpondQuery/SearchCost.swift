import Foundation
import LogpondEngine

/// How much postings a query will read, told before it runs, so a search small enough to be
/// done before a second thread would wake up runs on one (Lucene's `cost()` plays this part).
extension SegmentQuery {
    /// An upper bound of the postings entries `q` reads over this segment's index (every
    /// segment of the snapshot: the counts come from the shared term statistics, which scoring
    /// reads anyway), or nil where that cannot be told cheaply: the caller then takes the
    /// query as costly.
    func estimatedPostings(_ q: Query) -> Int64? {
        switch q {
        case .matchNone: return 0
        case .term(let field, let value, let ci, _):
            guard !ci, field != "_id", let fm = mapping.resolve(field), fm.type != .ip,
                  fm.type.storage == .text || fm.type.storage == .keyword else { return nil }
            var s = value.stringValue
            if let n = fm.normalizer { s = analysis.normalize(s, with: n) }
            return stats.docFreq(field, Array(s.utf8))
        case .terms(let field, let values, _):
            guard values.count <= Limits.maxClauseCount else { return nil }
            var sum: Int64 = 0
            for v in values {
                guard let c = estimatedPostings(.term(field: field, value: v, caseInsensitive: false, boost: 1)) else { return nil }
                sum &+= c
            }
            return sum
        case .match(let m):
            guard m.fuzziness == nil, !m.lastIsPrefix, !m.zeroTermsAll, let fm = mapping.resolve(m.field) else { return nil }
            if fm.type.storage != .text { return estimatedPostings(.term(field: m.field, value: .string(m.text), caseInsensitive: false, boost: 1)) }
            guard let toks = try? searchAnalyzer(fm, override: m.analyzer).tokens(m.text), toks.count <= Limits.maxClauseCount else { return nil }
            var sum: Int64 = 0
            for t in toks { sum &+= stats.docFreq(m.field, t.term) }
            return sum
        case .bool(let must, let filter, let should, let mustNot, _, _):
            // Every clause is evaluated in full: the sum of theirs.
            var sum: Int64 = 0
            for c in must + filter + should + mustNot {
                guard let e = estimatedPostings(c) else { return nil }
                sum &+= e
            }
            return sum
        case .constantScore(let inner, _): return estimatedPostings(inner)
        default: return nil
        }
    }
}
