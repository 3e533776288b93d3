import Foundation
import LogpondEngine

/// A Lucene-syntax regular expression (regexp query, terms include/exclude) compiled once,
/// within `index.max_regex_length`, and matched under a time budget: ICU backtracks, and a
/// pattern such as `(a+)+b` would otherwise hold a thread for as long as it likes. ICU calls
/// back during long matches (`.reportProgress`), which is where the budget stops it.
final class BoundedRegex {
    let re: NSRegularExpression
    let source: String
    private var deadline: UInt64 = 0

    init(lucene: String, caseInsensitive: Bool = false, context: String) throws {
        guard lucene.utf8.count <= Limits.maxRegexLength else {
            throw QueryError.illegal("The length of regex [\(lucene.utf8.count)] used in [\(context)] has exceeded the allowed maximum of [\(Limits.maxRegexLength)]. This maximum can be set by changing the [index.max_regex_length] index level setting.")
        }
        source = lucene
        let translated = try LuceneRegex.translate(lucene)
        do { re = try NSRegularExpression(pattern: "^(?:" + translated + ")$", options: caseInsensitive ? [.caseInsensitive] : []) }
        catch { throw QueryError("query_shard_exception", "failed to create query: invalid regular expression [\(Param.clip(lucene))] in [\(context)]") }
    }

    /// Whether the whole of `s` matches; throws once the budget (shared by every call on this
    /// object, from the first) is spent.
    func matches(_ s: String) throws -> Bool {
        let now = DispatchTime.now().uptimeNanoseconds
        if deadline == 0 { deadline = now + UInt64(Limits.regexTimeBudgetMillis) * 1_000_000 }
        var found = false, expired = false
        let limit = deadline
        re.enumerateMatches(in: s, options: [.reportProgress, .anchored], range: NSRange(s.startIndex..., in: s)) { m, _, stop in
            if m != nil { found = true; stop.pointee = true; return }
            if DispatchTime.now().uptimeNanoseconds > limit { expired = true; stop.pointee = true }
        }
        if expired || DispatchTime.now().uptimeNanoseconds > limit {
            throw QueryError("query_shard_exception", "regular expression [\(Param.clip(source))] took longer than \(Limits.regexTimeBudgetMillis) ms to match; simplify nested repetitions such as (a+)+")
        }
        return found
    }
}
