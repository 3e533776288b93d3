import Foundation
import LogpondEngine

/// Index-wide term statistics for BM25, gathered over a snapshot's segments (Elasticsearch
/// keeps them per shard; Logpond has one shard per index, so the scopes agree). Thread-safe:
/// a search evaluates segments in parallel against one instance.
final class FieldStats: @unchecked Sendable {
    let segments: [Segment]
    private let lock = NSLock()
    private var docCounts: [String: Int64] = [:]
    private var sumTTF: [String: Int64] = [:]
    private var dfs: [String: Int64] = [:]

    init(segments: [Segment]) { self.segments = segments }

    /// Documents that have the field (deleted ones included, as Lucene counts them).
    func docCount(_ field: String) -> Int64 {
        if let v = lock.withLock({ docCounts[field] }) { return v }
        let v = segments.reduce(Int64(0)) { $0 + Int64($1.docsWithField(field)) }
        lock.withLock { docCounts[field] = v }
        return v
    }

    func avgFieldLength(_ field: String) -> Double {
        let total = lock.withLock({ sumTTF[field] }) ?? {
            let t = segments.reduce(Int64(0)) { $0 + $1.sumTotalTermFreq(field) }
            lock.withLock { sumTTF[field] = t }
            return t
        }()
        let n = docCount(field)
        return n > 0 && total > 0 ? Double(total) / Double(n) : 1
    }

    func docFreq(_ field: String, _ term: [UInt8]) -> Int64 {
        let key = field + "\u{0}" + String(decoding: term, as: UTF8.self)
        if let v = lock.withLock({ dfs[key] }) { return v }
        var v: Int64 = 0
        for s in segments { if let d = try? s.dictionary(field), let o = d.find(term) { v += Int64(d.docFreq(o)) } }
        lock.withLock { dfs[key] = v }
        return v
    }

    /// Lucene's BM25 idf.
    func idf(_ field: String, _ term: [UInt8]) -> Double {
        let n = Double(docCount(field)), df = Double(docFreq(field, term))
        return log(1 + (n - df + 0.5) / (df + 0.5))
    }
}

/// BM25 as Elasticsearch 7 scores it (LegacyBM25Similarity: the (k1 + 1) factor kept).
enum BM25 {
    static let k1 = 1.2
    static let b = 0.75

    /// score = boost × (k1 + 1) × idf × freq / (freq + k1 × (1 − b + b × dl / avgdl))
    @inline(__always) static func score(freq: Double, norm: UInt8?, avgdl: Double, idf: Double, boost: Double) -> Double {
        let dl = norm.map { Norms.table[Int($0)] } ?? avgdl
        return boost * (k1 + 1) * idf * freq / (freq + k1 * (1 - b + b * dl / avgdl))
    }
}
