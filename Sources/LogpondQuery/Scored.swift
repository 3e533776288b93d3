import LogpondEngine

/// Matching docs of one segment (ascending) with their scores, aligned.
struct Scored {
    var docs: [Int32]
    var scores: [Float]

    static let empty = Scored(docs: [], scores: [])
    static func constant(_ docs: [Int32], _ score: Float) -> Scored { Scored(docs: docs, scores: [Float](repeating: score, count: docs.count)) }

    /// The docs (with their scores) that `keep` accepts.
    func keeping(_ keep: (Int32, Float) -> Bool) -> Scored {
        var out = Scored(docs: [], scores: [])
        for k in docs.indices where keep(docs[k], scores[k]) { out.docs.append(docs[k]); out.scores.append(scores[k]) }
        return out
    }

    /// The docs inside `run` (docs are ascending, so a slice found by binary search).
    func within(_ run: Range<Int>) -> Scored {
        let lo = partitionPoint(0, docs.count) { Int(docs[$0]) >= run.lowerBound }
        let hi = partitionPoint(lo, docs.count) { Int(docs[$0]) >= run.upperBound }
        return Scored(docs: Array(docs[lo..<hi]), scores: Array(scores[lo..<hi]))
    }

    func scaled(_ f: Float) -> Scored { f == 1 ? self : Scored(docs: docs, scores: scores.map { $0 * f }) }

    /// Docs in both; scores added (a required clause).
    static func and(_ a: Scored, _ b: Scored) -> Scored {
        var out = Scored(docs: [], scores: [])
        out.docs.reserveCapacity(min(a.docs.count, b.docs.count)); out.scores.reserveCapacity(min(a.docs.count, b.docs.count))
        var i = 0, j = 0
        while i < a.docs.count && j < b.docs.count {
            if a.docs[i] < b.docs[j] { i += 1 } else if a.docs[i] > b.docs[j] { j += 1 }
            else { out.docs.append(a.docs[i]); out.scores.append(a.scores[i] + b.scores[j]); i += 1; j += 1 }
        }
        return out
    }

    /// Docs of `a` that are in `b`, keeping a's scores (a filter).
    static func filter(_ a: Scored, _ b: [Int32]) -> Scored {
        var out = Scored(docs: [], scores: [])
        var j = 0
        for (k, d) in a.docs.enumerated() {
            while j < b.count && b[j] < d { j += 1 }
            if j < b.count && b[j] == d { out.docs.append(d); out.scores.append(a.scores[k]) }
        }
        return out
    }

    /// Docs of `a` not in `b`.
    static func minus(_ a: Scored, _ b: [Int32]) -> Scored {
        var out = Scored(docs: [], scores: [])
        var j = 0
        for (k, d) in a.docs.enumerated() {
            while j < b.count && b[j] < d { j += 1 }
            if j < b.count && b[j] == d { continue }
            out.docs.append(d); out.scores.append(a.scores[k])
        }
        return out
    }

    /// Docs matched by at least `minMatch` lists; scores combined by `combine` (sum by default).
    static func or(_ lists: [Scored], minMatch: Int = 1, tieBreaker: Float? = nil) -> Scored {
        if lists.isEmpty { return .empty }
        if lists.count == 1 && minMatch <= 1 { return lists[0] }
        var merged: [(doc: Int32, score: Float, max: Float, n: Int32)] = []
        var all: [(Int32, Float)] = []
        for l in lists { for k in l.docs.indices { all.append((l.docs[k], l.scores[k])) } }
        all.sort { $0.0 < $1.0 }
        for (d, s) in all {
            if let last = merged.last, last.doc == d {
                merged[merged.count - 1].score += s
                merged[merged.count - 1].max = Swift.max(last.max, s)
                merged[merged.count - 1].n += 1
            } else { merged.append((d, s, s, 1)) }
        }
        var out = Scored(docs: [], scores: [])
        for m in merged where Int(m.n) >= minMatch {
            out.docs.append(m.doc)
            if let t = tieBreaker { out.scores.append(m.max + t * (m.score - m.max)) } else { out.scores.append(m.score) }
        }
        return out
    }
}
