import Foundation
import LogpondEngine
import LogpondQuery

/// A slow-log threshold in milliseconds (-1: off), read the same way at start and per request.
public enum SlowLogThreshold {
    public static func millis(_ s: String) -> Int? { Param.durationMillis(s) }
}

/// Elasticsearch's slow logs at `warn`: one line per search or bulk slower than
/// `index.search.slowlog.threshold.query.warn` / `index.indexing.slowlog.threshold.index.warn`
/// (the index's own setting, else the server's), under the loggers of those names.
extension API {
    /// The lowest threshold among `indices` in milliseconds; nil: none set (or -1, off).
    func slowThreshold(_ indices: [Index], search: Bool) -> Int? {
        let fallback = search ? config.searchSlowlogWarn : config.indexingSlowlogWarn
        let ms = indices.compactMap { i -> Int? in
            let own = search ? i.slowlogThresholds.search : i.slowlogThresholds.indexing
            return (own ?? fallback).flatMap { SlowLogThreshold.millis($0) }
        }.filter { $0 >= 0 }
        if indices.isEmpty { return fallback.flatMap { SlowLogThreshold.millis($0) }.flatMap { $0 >= 0 ? $0 : nil } }
        return ms.min()
    }

    func logSlowSearch(_ snaps: [IndexSnapshot], started: UInt64, body: [UInt8]) {
        guard config.searchSlowlogWarn != nil || snaps.contains(where: { store.index(named: $0.name)?.slowlogThresholds.search != nil }) else { return }
        let took = Int(Clock.elapsed(from: started) / 1_000_000)
        let indices = snaps.compactMap { store.index(named: $0.name) }
        guard let limit = slowThreshold(indices, search: true), took >= limit else { return }
        let source = EngineError.clip(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\n", with: " "), max: 1000)
        store.log("[index.search.slowlog.query] [\(EngineError.clip(snaps.map { $0.name }.joined(separator: ","), max: 300))] took[\(took)ms], took_millis[\(took)], total_shards[\(snaps.count)], source[\(source)]", .warning)
    }

    func logSlowBulk(_ indices: [String], items: Int, started: UInt64) {
        let found = Set(indices).compactMap { store.index(named: $0) }
        guard config.indexingSlowlogWarn != nil || found.contains(where: { $0.slowlogThresholds.indexing != nil }) else { return }
        let took = Int(Clock.elapsed(from: started) / 1_000_000)
        guard let limit = slowThreshold(found, search: false), took >= limit else { return }
        store.log("[index.indexing.slowlog.index] [\(EngineError.clip(Set(indices).sorted().joined(separator: ","), max: 300))] took[\(took)ms], took_millis[\(took)], items[\(items)]", .warning)
    }
}
