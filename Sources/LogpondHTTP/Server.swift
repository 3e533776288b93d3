import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import HTTPTypes
import LogpondEngine
import LogpondQuery

/// The HTTP front: one responder that routes Elasticsearch paths to the API handlers.
public struct LogpondServer {
    let store: Store
    let config: ServerConfig

    public init(store: Store, config: ServerConfig) { self.store = store; self.config = config }

    /// Runs until the process is asked to stop. `transport` turns the HTTP/1.1 channel
    /// configuration into a server (plain by default; the CLI passes HTTPS from LogpondTLS).
    public func run(transport: (HTTP1Channel.Configuration) -> HTTPServerBuilder = { .http1(configuration: $0) },
                    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let api = API(store: store, config: config)
        let responder = CallbackResponder<BasicRequestContext> { request, context in
            await api.handle(request)
        }
        var logger = Logger(label: "logpond")
        logger.logLevel = .warning
        let app = Application(
            responder: responder,
            server: transport(.init(additionalChannelHandlers: [ConnectionWatch(), ExpectContinueHandler()])),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil, reuseAddress: true),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.runService()
    }
}

/// Request dispatch and the shared state every handler needs.
struct API: Sendable {
    let store: Store
    let config: ServerConfig
    let scrolls = ScrollStore()
    let searchPool: SearchPool
    /// indices.breaker.request.limit (aggregations) and network.breaker.inflight_requests.limit
    /// (request bodies).
    let requestBreaker: MemoryBreaker
    let inflightBreaker: MemoryBreaker
    /// Users and roles (SecurityAPI.swift); open while no user is configured.
    let auth: Authenticator
    let clusterUUID: String
    /// `GET /`'s body, rendered once: nothing in it changes while the server runs, and
    /// clients probe it before every session (and the benchmark's floor check, issue 17).
    let infoBody: [UInt8]

    init(store: Store, config: ServerConfig) {
        self.store = store
        self.config = config
        searchPool = SearchPool(size: config.searchThreads, queueSize: config.searchQueueSize)
        requestBreaker = MemoryBreaker(name: "request", limitBytes: config.requestBreakerBytes)
        inflightBreaker = MemoryBreaker(name: "in_flight_requests", limitBytes: config.inflightBreakerBytes)
        auth = Authenticator(catalog: store.catalog, log: { [store] in store.log($0, .warning) })
        clusterUUID = Self.loadClusterUUID(store)
        infoBody = Self.renderInfo(config, clusterUUID: clusterUUID)
    }

    func handle(_ request: Request) async -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let path = RequestPath(request.uri.path)
        let params = parseQuery(request.uri.query)
        // Request bodies are held here for the in-flight breaker until the response is made.
        let bodies = MemoryAccount(inflightBreaker)
        defer { bodies.close() }
        do {
            var resp = try await ESResponse.$pretty.withValue(params.flag("pretty")) {
                let who = try authorize(request, path)
                if path.segments == ["_security", "_authenticate"] { return authenticateResponse(who) }
                if path.segments == ["_logpond", "api", "indices"] {
                    guard request.method == .get || request.method == .head else {
                        throw ESError(405, "method_not_allowed", "Incorrect HTTP method for uri [/_logpond/api/indices] and method [\(request.method.rawValue)], allowed: [GET]")
                    }
                    return uiIndices(who)
                }
                if path.segments == ["_security", "api_key"] {
                    return try await apiKeyRoute(request.method, who: who, body: { try await RequestBody.read(request, limit: Limits.maxSecurityBody) }, params: params)
                }
                return try await route(request, path, params, started: started, bodies: bodies)
            }
            if request.method == .head { resp.body = ResponseBody() }
            resp.headers[ESResponse.serverTimeHeader] = String(Clock.elapsed(from: started) / 1000)
            LogpondMetrics.request(path.segments, started: started, status: Int(resp.status.code), type: nil)
            return resp
        } catch {
            let e = ErrorMapping.es(error)
            LogpondMetrics.request(path.segments, started: started, status: e.status, type: e.type)
            var r = ESResponse.$pretty.withValue(params.flag("pretty")) { e.response }
            if request.method == .head { r.body = ResponseBody() }
            return r
        }
    }

    /// `expand_wildcards` from the URL, with a per-API default.
    func expand(_ p: [String: String], default def: Set<String> = ["open"]) -> Set<String> {
        guard let e = p["expand_wildcards"] else { return def }
        let parts = Set(e.split(separator: ",").map(String.init))
        return parts.contains("none") ? [] : parts
    }

    func tookMillis(_ started: UInt64) -> Int { Int(Clock.elapsed(from: started) / 1_000_000) }

    func route(_ req: Request, _ path: RequestPath, _ p: [String: String], started: UInt64, bodies: MemoryAccount) async throws -> Response {
        let s = path.segments
        let m = req.method
        func body() async throws -> [UInt8] {
            let b = try await RequestBody.read(req, limit: config.maxContentLength)
            try bodies.add(Int64(b.count), what: "<http_request>")
            return b
        }
        // Searches stop once their client has gone (ConnectionWatch).
        let connection = ClientConnection.of(req.headers)
        let cancelled: (@Sendable () -> Bool)? = connection.map { c in { c.isClosed } }
        func methodNotAllowed(_ allowed: String) -> ESError {
            ESError(405, "method_not_allowed", "Incorrect HTTP method for uri [\(EngineError.clip(path.raw))] and method [\(m.rawValue)], allowed: [\(allowed)]")
        }
        switch (s.count, s.first ?? "") {
        case (0, _):
            guard m == .get || m == .head else { throw methodNotAllowed("GET, HEAD") }
            if m == .get && Self.wantsPage(req) { return Self.redirectToPage() }
            return info()
        case (1, "_bulk"), (2, _) where s.count == 2 && s[1] == "_bulk":
            guard m == .post || m == .put else { throw methodNotAllowed("POST, PUT") }
            let b = try await body()
            return try await store.withIndexingPressure(bytes: b.count) {
                try await bulk(body: b, defaultIndex: s.count == 2 ? s[0] : nil, params: p, started: started)
            }
        default: break
        }
        let last = s.last!
        if s.count >= 2 && s[0] == "_search" && s[1] == "scroll" {
            let b = try await body()
            if m == .delete { return try scroll(body: b, params: p, method: m, pathID: s.count > 2 ? s[2] : nil, started: started) }
            return try await searchPool.run(cancelled) { try scroll(body: b, params: p, method: m, pathID: s.count > 2 ? s[2] : nil, started: started) }
        }
        if last == "_msearch" && s.count <= 2 {
            guard m == .get || m == .post else { throw methodNotAllowed("GET, POST") }
            let b = try await body()
            return try await searchPool.run(cancelled, mayRunInline: false) { try msearch(defaultTargets: s.count == 2 ? s[0] : nil, body: b, params: p, started: started, cancelled: cancelled) }
        }
        if last == "_search" && s.count <= 2 {
            guard m == .get || m == .post else { throw methodNotAllowed("GET, POST") }
            try URLParams.check(p, URLParams.search, path: path.raw)
            let b = try await body()
            return try await searchPool.run(cancelled, mayRunInline: !SearchPool.mayAggregate(b)) { try search(targets: s.count == 2 ? s[0] : "_all", body: b, params: p, started: started, cancelled: cancelled) }
        }
        if last == "_count" && s.count <= 2 {
            guard m == .get || m == .post else { throw methodNotAllowed("GET, POST") }
            try URLParams.check(p, URLParams.count, path: path.raw)
            let b = try await body()
            return try await searchPool.run(cancelled) { try count(targets: s.count == 2 ? s[0] : "_all", body: b, params: p, cancelled: cancelled) }
        }
        if last == "_refresh" && s.count <= 2 { return try refresh(targets: s.count == 2 ? s[0] : "_all") }
        if last == "_flush" && s.count <= 2 { return try await flush(targets: s.count == 2 ? s[0] : "_all") }
        if last == "_forcemerge" && s.count <= 2 { return try await forceMerge(targets: s.count == 2 ? s[0] : "_all", params: p) }
        if last == "_mget" && s.count <= 2 {
            guard m == .get || m == .post else { throw methodNotAllowed("GET, POST") }
            let b = try await body()
            return try await searchPool.run(cancelled) { try mget(defaultIndex: s.count == 2 ? s[0] : nil, body: b, params: p) }
        }
        if last == "_delete_by_query" && s.count == 2 {
            guard m == .post else { throw methodNotAllowed("POST") }
            return try await deleteByQuery(targets: s[0], body: try await body(), params: p, started: started)
        }
        if last == "_analyze" && s.count <= 2 {
            guard m == .get || m == .post else { throw methodNotAllowed("GET, POST") }
            return try analyze(index: s.count == 2 ? s[0] : nil, body: try await body(), params: p)
        }
        if last == "_field_caps" && s.count <= 2 {
            guard m == .get || m == .post else { throw methodNotAllowed("GET, POST") }
            return try fieldCaps(targets: s.count == 2 ? s[0] : "_all", params: p, body: try await body())
        }
        if s[0] == "_aliases" && s.count == 1 && (m == .post || m == .put) { return try updateAliases(body: try await body()) }
        if (s[0] == "_alias" || s[0] == "_aliases") && s.count <= 2 {
            guard m == .get || m == .head else { throw methodNotAllowed("GET, HEAD") }
            return try getAliases(indices: nil, name: s.count == 2 ? s[1] : nil, head: m == .head)
        }
        if s.count >= 2 && s.count <= 3 && (s[1] == "_alias" || s[1] == "_aliases") {
            switch m {
            case .get, .head: return try getAliases(indices: s[0], name: s.count == 3 ? s[2] : nil, head: m == .head)
            case .put where s.count == 3, .post where s.count == 3: return try putAlias(indices: s[0], name: s[2], body: try await body())
            case .delete where s.count == 3: return try deleteAlias(indices: s[0], name: s[2])
            default: throw methodNotAllowed("GET, HEAD, PUT, POST, DELETE")
            }
        }
        if s.count >= 2 && s.count <= 3 && s[1] == "_rollover" {
            guard m == .post else { throw methodNotAllowed("POST") }
            return try rollover(alias: s[0], newIndex: s.count == 3 ? s[2] : nil, body: try await body(), params: p)
        }
        let templateKinds: [String: TemplateStore.Kind] = ["_template": .legacy, "_index_template": .index, "_component_template": .component]
        if let kind = templateKinds[s[0]], s.count <= 2 {
            return try await templateRoute(kind, name: s.count == 2 ? s[1] : nil, method: m, body: body, params: p)
        }
        if s.last == "_settings" && s.count <= 2 {
            if m == .put { return try putSettings(targets: s.count == 2 ? s[0] : "_all", body: try await body(), params: p) }
            return try getSettings(targets: s.count == 2 ? s[0] : "_all", params: p)
        }
        if s.count >= 2 && s[1] == "_settings" && s.count == 3 && m == .get { return try getSettings(targets: s[0], params: p) }
        if let statsAt = s.firstIndex(of: "_stats"), statsAt <= 1 {
            return try stats(targets: statsAt == 1 ? s[0] : "_all", metrics: statsAt + 1 < s.count ? s[statsAt + 1] : nil, params: p)
        }
        if s.count == 2 && (s[1] == "_close" || s[1] == "_open") {
            guard m == .post else { throw methodNotAllowed("POST") }
            return try closeOrOpen(targets: s[0], close: s[1] == "_close", params: p)
        }
        switch s[0] {
        case "_cluster" where s.count >= 2 && s[1] == "state": return try clusterState(Array(s.dropFirst(2)), params: p)
        case "_cluster" where s.count == 2 && s[1] == "settings":
            switch m {
            case .get: return getClusterSettings(params: p)
            case .put: return try putClusterSettings(body: try await body(), params: p)
            default: throw methodNotAllowed("GET, PUT")
            }
        case "_mapping" where s.count == 3 && s[1] == "field": return try getFieldMapping(targets: "_all", fields: s[2])
        case "_cluster" where s.count >= 2 && s[1] == "health": return clusterHealth()
        case "_cat": return try cat(Array(s.dropFirst()), params: p)
        case "_nodes" where s.contains("stats"): return nodeStats()
        case "_logpond" where s.count == 2 && s[1] == "tail":
            guard m == .get else { throw methodNotAllowed("GET") }
            return try tail(params: p)
        case "_logpond" where s.count <= 2:
            guard m == .get || m == .head else { throw methodNotAllowed("GET") }
            if s.count == 1 && !path.raw.hasSuffix("/") { return Self.redirectToPage() }
            return try uiAsset(Array(s.dropFirst()))
        case "_prometheus" where s.count == 2 && s[1] == "metrics":
            guard m == .get || m == .head else { throw methodNotAllowed("GET") }
            return prometheusMetrics()
        case "_nodes": return nodes(req)
        case "_mapping" where s.count == 1, "_mappings" where s.count == 1: return try getMapping(targets: "_all")
        case "_resolve" where s.count == 3 && s[1] == "index":
            guard m == .get else { throw methodNotAllowed("GET") }
            return try resolveIndex(s[2], params: p)
        default: break
        }
        // Index-level routes: /{index}[/...]
        let index = s[0]
        if s.count == 1 {
            switch m {
            case .put: return try createIndex(index, body: try await body())
            case .delete: return try deleteIndex(index, params: p)
            case .head, .get: return try getIndex(index, head: m == .head)
            default: throw methodNotAllowed("GET, HEAD, PUT, DELETE")
            }
        }
        switch s[1] {
        case "_mappings" where m == .get || m == .head:
            return try getMapping(targets: index)
        case "_mapping":
            if s.count == 4 && s[2] == "field" { return try getFieldMapping(targets: index, fields: s[3]) }
            if m == .put || m == .post { return try putMapping(index, body: try await body()) }
            return try getMapping(targets: index)
        case "_update" where s.count == 3:
            guard m == .post else { throw methodNotAllowed("POST") }
            let b = try await body()
            return try await store.withIndexingPressure(bytes: b.count) { try await updateDoc(index, id: s[2], body: b, params: p) }
        case "_doc", "_create":
            if s.count == 2 {
                guard m == .post else { throw methodNotAllowed("POST") }
                let b = try await body()
                return try await store.withIndexingPressure(bytes: b.count) { try await indexDoc(index, id: nil, create: false, body: b, params: p) }
            }
            guard s.count == 3 else { break }
            switch m {
            case .put, .post:
                let b = try await body()
                return try await store.withIndexingPressure(bytes: b.count) {
                    try await indexDoc(index, id: s[2], create: s[1] == "_create" || p["op_type"] == "create", body: b, params: p)
                }
            case .get, .head: return try getDoc(index, id: s[2])
            case .delete: return try await deleteDoc(index, id: s[2], params: p)
            default: throw methodNotAllowed("GET, HEAD, PUT, POST, DELETE")
            }
        default:
            // Legacy typed endpoints: POST /{index}/{type} (rsyslog) and /{index}/{type}/{id}.
            if !s[1].hasPrefix("_") && s.count <= 3 && (m == .post || m == .put) {
                let b = try await body()
                return try await store.withIndexingPressure(bytes: b.count) {
                    try await indexDoc(index, id: s.count == 3 ? s[2] : nil, create: p["op_type"] == "create", body: b, params: p)
                }
            }
        }
        throw ESError(400, "illegal_argument_exception", "no handler found for uri [\(EngineError.clip(path.raw))] and method [\(m.rawValue)]")
    }
}

/// The request handler without a socket: what fuzzing and in-process tools drive. The same
/// routing, parsing and error mapping as the server, so a trap found here is a trap there.
public struct InProcessHandler: Sendable {
    let api: API

    public init(store: Store, config: ServerConfig = ServerConfig()) { api = API(store: store, config: config) }

    /// Handles one request and returns the status code.
    public func status(method: String, path: String, query: String = "", body: [UInt8], headers: [(String, String)] = []) async -> Int {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (k, v) in headers { if let n = HTTPField.Name(k) { fields[n] = v } }
        let head = HTTPRequest(method: HTTPRequest.Method(method) ?? .get, scheme: "http", authority: "127.0.0.1",
                               path: query.isEmpty ? path : path + "?" + query, headerFields: fields)
        let request = Request(head: head, body: Hummingbird.RequestBody(buffer: ByteBuffer(bytes: body)))
        return await api.handle(request).status.code
    }
}
