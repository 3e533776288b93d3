import Foundation
import LogpondEngine

/// Filtered aliases: an index reached only through aliases with filters is searched as if the
/// documents no filter admits were deleted, so hits, counts, aggregations, scrolls and totals
/// all see the same documents (Elasticsearch adds the filter to every query on that index).
public enum AliasFilter {
    /// Parses alias filters (JSON text from the catalog) once per search.
    public static func parse(_ filters: [String]) throws -> [Query] {
        try filters.map { f in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(f.utf8)) else {
                throw QueryError("parsing_exception", "an alias filter is not valid JSON; put the alias again with a valid filter")
            }
            return try QueryParser.parse(obj)
        }
    }

    /// The snapshot with every document none of `filters` matches masked out, per segment.
    public static func apply(_ filters: [Query], to s: IndexSnapshot) throws -> IndexSnapshot {
        guard !filters.isEmpty else { return s }
        var out = s
        let (stats, df) = Searcher.segmentQueries(s)
        out.segments = try s.segments.map { seg, dels in
            let sq = SegmentQuery(segment: seg, mapping: s.mapping, analysis: s.analysis, stats: stats, defaultField: df)
            let admitted = DocSets.union(try filters.map { try sq.docs($0) })
            let n = seg.docCount
            // Start from "everything excluded", let the admitted documents back in, then keep
            // the segment's own deletions.
            var words = [UInt64](repeating: ~0, count: (n + 63) / 64)
            if n % 64 != 0, !words.isEmpty { words[words.count - 1] = (1 << UInt64(n % 64)) - 1 }
            for d in admitted where d >= 0 && Int(d) < n { words[Int(d) >> 6] &= ~(1 << UInt64(Int(d) & 63)) }
            if let dels { for (i, w) in dels.words.enumerated() where i < words.count { words[i] |= w } }
            return (seg, Bitset(count: n, words: words))
        }
        return out
    }
}
