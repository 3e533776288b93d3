import Foundation
import Hummingbird
import LogpondEngine

/// `GET /_logpond/api/indices`: what the page's indices view shows (docs/ui.md) — each index
/// with its size, dates, and the retention rule that will delete it — and whether the caller
/// may delete indices, so the page offers the button only to those who may.
extension API {
    func uiIndices(_ who: Identity?) -> Response {
        let retention = store.effectiveRetention()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let indices: [Any] = store.allIndices.map { ix -> [(String, Any)] in
            let st = ix.stats
            var row: [(String, Any)] = [("index", ix.name), ("status", ix.currentState),
                                        ("docs", st.docs), ("store_bytes", st.storeBytes), ("creation_date", ix.creationDate),
                                        ("newest", ix.newestTimestamp.map { $0 as Any } ?? NSNull())]
            let cand = RetentionPlanner.Candidate(name: ix.name, creationDate: ix.creationDate, bytes: st.storeBytes)
            if let s = RetentionPlanner.schedule(cand, config: retention) {
                row.append(("retention", [("policy", s.pattern), ("max_age_ms", s.maxAgeMillis), ("source", s.source.rawValue),
                                          ("delete_after", s.deleteAfter)] as [(String, Any)]))
            } else {
                row.append(("retention", NSNull()))
            }
            row.append(("size_budget", RetentionPlanner.underBudget(ix.name, config: retention)))
            return row
        }
        let budget: Any = retention.maxTotalBytes.map { [("max_total_bytes", $0), ("pattern", retention.budgetPattern)] as [(String, Any)] } ?? NSNull()
        let body: [(String, Any)] = [("now", now), ("can_delete", who.map { $0.role.allows(.deleteIndex) } ?? true),
                                     ("retention_interval_ms", retention.checkIntervalMillis), ("size_budget", budget), ("indices", indices)]
        return ESResponse.json(.ok, body)
    }
}
