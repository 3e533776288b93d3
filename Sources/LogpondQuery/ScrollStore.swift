import Foundation
import LogpondEngine

/// Open scroll contexts: the snapshots a scroll reads (held, so merges and deletions cannot
/// pull files from under it) and its remaining hits in order. Bounded in number and time.
public final class ScrollStore: @unchecked Sendable {
    final class Context {
        let request: SearchRequest
        let snaps: [IndexSnapshot]
        let collected: Searcher.Collected
        var offset: Int
        var expires: Date
        init(request: SearchRequest, snaps: [IndexSnapshot], collected: Searcher.Collected, offset: Int, expires: Date) {
            self.request = request; self.snaps = snaps; self.collected = collected; self.offset = offset; self.expires = expires
        }
    }

    /// Elasticsearch's search.max_open_scroll_context default.
    public static let maxOpen = 500
    private let lock = NSLock()
    private var contexts: [String: Context] = [:]

    public init() {}

    var openCount: Int { lock.withLock { contexts.count } }

    /// Parses `1m`, `30s`, `500ms` keep-alives.
    public static func keepAlive(_ s: String) -> TimeInterval? {
        let t = s.lowercased()
        if t.hasSuffix("ms"), let v = Double(t.dropLast(2)) { return v / 1000 }
        let units: [(String, Double)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (u, m) in units where t.hasSuffix(u) { if let v = Double(t.dropLast()) { return v * m } }
        return nil
    }

    private func sweep() { let now = Date(); contexts = contexts.filter { $0.value.expires > now } }

    /// Runs the first page and opens a context for the rest.
    public func start(_ r: SearchRequest, _ snaps: [IndexSnapshot], keepAlive: TimeInterval, took: () -> Int) throws -> [UInt8] {
        let id: String = try lock.withLock {
            sweep()
            guard contexts.count < Self.maxOpen else {
                throw QueryError("exception", "Trying to create too many scroll contexts. Must be less than or equal to: [\(Self.maxOpen)]. This limit can be set by changing the [search.max_open_scroll_context] setting.", status: 500)
            }
            return Data(UUID().uuidString.utf8).base64EncodedString()
        }
        let c = try Searcher().collect(r, snaps, limit: nil)
        let ctx = Context(request: r, snaps: snaps, collected: c, offset: 0, expires: Date().addingTimeInterval(keepAlive))
        lock.withLock { contexts[id] = ctx }
        return try page(ctx, id: id, took: took())
    }

    /// The next page of an open scroll; 404 when it expired or never existed.
    public func next(_ id: String, keepAlive: TimeInterval?, took: () -> Int) throws -> [UInt8] {
        let ctx: Context = try lock.withLock {
            sweep()
            guard let c = contexts[id] else {
                throw QueryError("search_context_missing_exception", "No search context found for id [\(EngineError.clip(id, max: 64))]", status: 404)
            }
            if let k = keepAlive { c.expires = Date().addingTimeInterval(k) }
            return c
        }
        return try page(ctx, id: id, took: took())
    }

    private func page(_ ctx: Context, id: String, took: Int) throws -> [UInt8] {
        let size = max(ctx.request.size, 1)
        let hits = Array(ctx.collected.hits.dropFirst(ctx.offset).prefix(size))
        ctx.offset += hits.count
        return try Searcher().render(ctx.request, ctx.snaps, ctx.collected, hits: hits, took: took, scrollID: id)
    }

    /// Clears contexts; `nil` or `_all` clears every one. Returns how many were freed.
    public func clear(_ ids: [String]?) -> Int {
        lock.withLock {
            guard let ids, !ids.contains("_all") else { let n = contexts.count; contexts.removeAll(); return n }
            var n = 0
            for id in ids where contexts.removeValue(forKey: id) != nil { n += 1 }
            return n
        }
    }
}
