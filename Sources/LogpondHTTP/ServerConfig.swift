import LogpondEngine

/// Settings of the HTTP layer; names follow Elasticsearch's where one exists.
public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 9200
    /// http.max_content_length: cap on a request body, after gzip inflation.
    public var maxContentLength = Limits.defaultMaxContentLength
    /// The version `GET /` reports; 7.17.x satisfies Curator, elasticsearch-py 7/8 and fluentd.
    public var versionNumber = "7.17.18"
    public var clusterName = "logpond"
    public var nodeName = "logpond"
    /// thread_pool.search.size / queue_size.
    public var searchThreads = SearchPool.defaultSize
    public var searchQueueSize = 1000
    /// index.search.slowlog.threshold.query.warn / index.indexing.slowlog.threshold.index.warn
    /// for every index (an index's own setting wins): a search or a bulk slower is logged.
    public var searchSlowlogWarn: String?
    public var indexingSlowlogWarn: String?
    /// indices.breaker.request.limit: aggregations' estimated memory, all requests together.
    public var requestBreakerBytes = MemoryBudget.share(Limits.requestBreakerShare, of: MemoryBudget.defaultBytes)
    /// network.breaker.inflight_requests.limit: request bodies being handled, together.
    public var inflightBreakerBytes = MemoryBudget.share(Limits.inflightBreakerShare, of: MemoryBudget.defaultBytes)
    public init() {}
}
