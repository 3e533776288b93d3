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

    private var reaper: DispatchSourceTimer?

    public init() {
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + Self.reapInterval, repeating: Self.reapInterval)
        timer.setEventHandler { [weak self] in self?.lock.withLock { self?.sweep() } }
        timer.resume()
        reaper = timer
    }

    deinit { reaper?.cancel() }

    public var openCount: Int { lock.withLock { contexts.count } }

    /// Elasticsearch's search.max_keep_alive default: a scroll holds its snapshot's files.
    public static let maxKeepAliveMillis = 24 * 3600 * 1000
    /// How often expired contexts are reaped when no request comes to sweep them.
    static let reapInterval: TimeInterval = 30

    /// A scroll keep-alive, checked against `search.max_keep_alive`.
    public static func keepAlive(_ s: String) throws -> TimeInterval {
        guard let ms = Param.durationMillis(s) else {
            throw QueryError.illegal("failed to parse setting [scroll] with value [\(Param.clip(s))] as a time value: unit is missing or unrecognized")
        }
        guard ms <= maxKeepAliveMillis else {
            throw QueryError.illegal("Keep alive for request (\(Param.clip(s))) is too large. It must be less than (1d). This limit can be set by changing the [search.max_keep_alive] cluster level setting.")
        }
        return Double(max(ms, 1)) / 1000
    }

    private func sweep() { let now = Date(); contexts = contexts.filter { $0.value.expires > now } }

    /// Runs the first page and opens a context for the rest; `extra` (the aggregations) is
    /// written on the first page only, as Elasticsearch does.
    public func start(_ r: SearchRequest, _ snaps: [IndexSnapshot], keepAlive: TimeInterval, took: () -> Int,
                      extra: ((inout JSONWriter) throws -> Void)? = nil) throws -> [UInt8] {
        try lock.withLock { sweep(); try checkRoom() }
        let c = try Searcher().collect(r, snaps, limit: nil)
        let id = Data(UUID().uuidString.utf8).base64EncodedString()
        let ctx = Context(request: r, snaps: snaps, collected: c, offset: 0, expires: Date().addingTimeInterval(keepAlive))
        // Checked again where the context is added: two requests past the first check cannot
        // both take the last place.
        try lock.withLock { try checkRoom(); contexts[id] = ctx }
        return try page(ctx, id: id, took: took(), extra: extra)
    }

    private func checkRoom() throws {
        guard contexts.count < Self.maxOpen else {
            throw QueryError("too_many_scroll_contexts_exception", "Trying to create too many scroll contexts. Must be less than or equal to: [\(Self.maxOpen)]. This limit can be set by changing the [search.max_open_scroll_context] setting.", status: 429)
        }
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

    private func page(_ ctx: Context, id: String, took: Int, extra: ((inout JSONWriter) throws -> Void)? = nil) throws -> [UInt8] {
        let size = max(ctx.request.size, 1)
        let hits = Array(ctx.collected.hits.dropFirst(ctx.offset).prefix(size))
        ctx.offset += hits.count
        return try Searcher().render(ctx.request, ctx.snaps, ctx.collected, hits: hits, took: took, scrollID: id, extra: extra)
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
