import Foundation
import LogpondEngine

/// Runs the `aggs` of a search: each aggregation collects a mergeable partial state per
/// segment over the query's matches, states merge across segments and indices, then render.
public struct AggregationRunner {
    public let request: SearchRequest
    public let snapshots: [IndexSnapshot]
    /// The request breaker's account: the partial states' estimated size is held there and
    /// checked after every segment, so an aggregation stops before it outgrows the limit.
    public let memory: MemoryAccount?
    public init(request: SearchRequest, snapshots: [IndexSnapshot], memory: MemoryAccount? = nil) {
        self.request = request; self.snapshots = snapshots; self.memory = memory
    }

    public func run(_ aggs: [String: Any]) throws -> [UInt8] {
        let nodes = try AggNode.parseAll(aggs)
        var budget = BucketBudget()
        var states: [String: AggState] = [:]
        for s in snapshots {
            let stats = FieldStats(segments: s.segments.map { $0.segment })
            for (seg, dels) in s.segments {
                var sq = SegmentQuery(segment: seg, mapping: s.mapping, analysis: s.analysis, stats: stats)
                sq.rebindQuery = request.query
                if sq.excludedByTime(request.query) { continue }
                try QueryError.check(request.cancelled)
                var docs = try sq.docs(request.query)
                if let d = dels { docs = docs.filter { !d.contains(Int($0)) } }
                let ctx = AggContext(segment: seg, mapping: s.mapping, query: sq, index: s.name, snapshot: s, memory: memory)
                try ctx.charge(docs.count * 4, nodes.first?.name ?? "")   // the matching documents
                for n in nodes where !n.isPipeline {
                    let st = try n.collect(ctx, docs)
                    states[n.name] = states[n.name].map { AggState.merge($0, st) } ?? st
                }
                if let memory {
                    let bytes = states.values.reduce(Int64(0)) { $0 &+ $1.estimatedBytes }
                    try memory.set(bytes, what: "<agg [\(nodes.first?.name ?? "")]>")
                }
            }
        }
        var rendered: [String: RAgg] = [:]
        for n in nodes where !n.isPipeline {
            rendered[n.name] = try n.renderTree(states[n.name] ?? n.emptyState(), budget: &budget, mappings: snapshots.map { $0.mapping })
        }
        for n in nodes where n.isPipeline { rendered[n.name] = try n.renderSibling(rendered) }
        var w = JSONWriter()
        w.raw("{")
        for (i, n) in nodes.enumerated() {
            if i > 0 { w.comma() }
            w.key(n.name); rendered[n.name]!.write(to: &w)
        }
        w.raw("}")
        return w.bytes
    }
}

/// What a collector needs from one segment.
struct AggContext {
    let segment: Segment
    let mapping: Mapping
    let query: SegmentQuery
    let index: String
    let snapshot: IndexSnapshot
    /// The request breaker's account. Collectors charge what they are about to build (the
    /// runner then sets it to the estimate of the merged states after the segment), so one big
    /// segment's state is stopped before it is built, not after.
    var memory: MemoryAccount? = nil

    /// Charges `bytes` for aggregation `name` (429 `circuit_breaking_exception` past the limit).
    func charge(_ bytes: Int, _ name: String) throws {
        guard let memory, bytes > 0 else { return }
        try memory.add(Int64(bytes), what: "<agg [\(name)]>")
    }
}

/// Elasticsearch's search.max_buckets (65,536), counted over the whole response.
struct BucketBudget {
    var used = 0
    mutating func take(_ n: Int) throws {
        used += n
        if used > Limits.maxBuckets {
            throw QueryError("too_many_buckets_exception", "Trying to create too many buckets. Must be less than or equal to: [\(Limits.maxBuckets)] but was [\(used)]. This limit can be set by changing the [search.max_buckets] cluster level setting.", status: 400)
        }
    }
}

/// A bucket key: numbers (dates in millis) or strings.
enum AggKey: Hashable, Comparable {
    case num(Double), str(String)
    static func < (a: AggKey, b: AggKey) -> Bool {
        switch (a, b) {
        case (.num(let x), .num(let y)): return x < y
        case (.str(let x), .str(let y)): return x < y
        case (.num, .str): return true
        case (.str, .num): return false
        }
    }
}

/// Mergeable partial results.
indirect enum AggState {
    case metric(MetricState)
    case buckets([AggKey: Bucket])
    case single(Bucket)
    case named([String: Bucket])
    case hits([TopHit], total: Int)

    static func merge(_ a: AggState, _ b: AggState) -> AggState {
        switch (a, b) {
        case (.metric(let x), .metric(let y)): return .metric(x.merged(y))
        case (.buckets(var x), .buckets(let y)):
            for (k, v) in y { x[k] = x[k].map { $0.merged(v) } ?? v }
            return .buckets(x)
        case (.single(let x), .single(let y)): return .single(x.merged(y))
        case (.named(var x), .named(let y)):
            for (k, v) in y { x[k] = x[k].map { $0.merged(v) } ?? v }
            return .named(x)
        case (.hits(let x, let a), .hits(let y, let b)): return .hits(x + y, total: a + b)
        default: return a
        }
    }
}

extension AggState {
    /// About what this state takes in memory: dictionary entries, keys, kept values and
    /// hits. An estimate for the request breaker, as Elasticsearch's are; it walks the state,
    /// which costs far less than building it did.
    var estimatedBytes: Int64 {
        switch self {
        case .metric(let m):
            return 96 &+ Int64(m.values?.count ?? 0) &* 8 &+ Int64(m.hashes?.count ?? 0) &* 16
        case .buckets(let m):
            var n: Int64 = 64
            for (k, b) in m {
                if case .str(let s) = k { n = n &+ Int64(s.utf8.count) }
                n = n &+ 80 &+ b.estimatedBytes
            }
            return n
        case .single(let b): return 32 &+ b.estimatedBytes
        case .named(let m): return m.reduce(Int64(64)) { $0 &+ 80 &+ Int64($1.key.utf8.count) &+ $1.value.estimatedBytes }
        case .hits(let hs, _): return hs.reduce(Int64(64)) { $0 &+ 160 &+ Int64($1.source.count) &+ Int64($1.id.utf8.count) }
        }
    }
}

extension Bucket {
    var estimatedBytes: Int64 { subs.reduce(Int64(32)) { $0 &+ 48 &+ $1.value.estimatedBytes } }
}

/// A bucket: its document count and its sub-aggregations' states.
struct Bucket {
    var count: Int
    var subs: [String: AggState]
    func merged(_ o: Bucket) -> Bucket {
        var s = subs
        for (k, v) in o.subs { s[k] = s[k].map { AggState.merge($0, v) } ?? v }
        return Bucket(count: count + o.count, subs: s)
    }
}

/// One hit kept by top_hits / top_metrics.
struct TopHit {
    var keys: [Searcher.SortValue]
    var score: Float
    var index: String
    var id: String
    var source: [UInt8]
    var metrics: [(String, Double?)]
}
