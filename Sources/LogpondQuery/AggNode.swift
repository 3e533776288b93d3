import Foundation
import LogpondEngine

/// One parsed aggregation with its sub-aggregations.
final class AggNode {
    let name: String
    let type: String
    let body: [String: Any]
    let subs: [AggNode]
    let pipelines: [AggNode]
    /// terms `include`/`exclude`, compiled once when the request is parsed (AggValidate).
    enum KeyMatch { case regex(BoundedRegex), values(Set<String>) }
    var keyFilters: [(match: KeyMatch, keep: Bool)] = []
    /// `format` and whether keys are dates, read once: rendering asks for every bucket.
    private(set) lazy var formatOption: String? = body["format"] as? String
    private(set) lazy var datedKeys: Bool = type == "date_histogram" || type == "date_range"

    static let bucketTypes: Set<String> = ["terms", "date_histogram", "histogram", "range", "date_range", "filter", "filters", "missing", "composite", "global"]
    static let metricTypes: Set<String> = ["min", "max", "avg", "sum", "value_count", "stats", "extended_stats", "cardinality", "percentiles",
                                           "percentile_ranks", "top_hits", "top_metrics"]
    static let pipelineTypes: Set<String> = ["derivative", "cumulative_sum", "moving_fn", "moving_avg", "bucket_script", "bucket_selector",
                                             "avg_bucket", "max_bucket", "min_bucket", "sum_bucket"]

    init(name: String, type: String, body: [String: Any], subs: [AggNode], pipelines: [AggNode]) {
        self.name = name; self.type = type; self.body = body; self.subs = subs; self.pipelines = pipelines
    }

    static func parseAll(_ aggs: [String: Any]) throws -> [AggNode] {
        try aggs.keys.sorted().map { try parse($0, aggs[$0]!) }
    }

    static func parse(_ name: String, _ def: Any) throws -> AggNode {
        guard let d = def as? [String: Any] else { throw QueryError.parsing("Expected [START_OBJECT] under [\(name)]") }
        let typeKeys = d.keys.filter { $0 != "aggs" && $0 != "aggregations" && $0 != "meta" }
        guard typeKeys.count == 1, let t = typeKeys.first else {
            throw QueryError.parsing(typeKeys.isEmpty ? "Missing definition for aggregation [\(name)]" : "Found two aggregation type definitions in [\(name)]: \(typeKeys.sorted())")
        }
        guard bucketTypes.contains(t) || metricTypes.contains(t) || pipelineTypes.contains(t) else {
            throw QueryError("unknown_named_object_exception", "Unknown aggregation type [\(t)] did you mean one of those?")
        }
        guard let body = d[t] as? [String: Any] else { throw QueryError.parsing("[\(t)] aggregation [\(name)] must be an object") }
        let children = try (d["aggs"] ?? d["aggregations"]).map { v -> [AggNode] in
            guard let o = v as? [String: Any] else { throw QueryError.parsing("[aggs] must be an object") }
            return try parseAll(o)
        } ?? []
        if !children.isEmpty && !bucketTypes.contains(t) {
            throw QueryError("aggregation_initialization_exception", "Aggregator [\(name)] of type [\(t)] cannot accept sub-aggregations")
        }
        let node = AggNode(name: name, type: t, body: body, subs: children.filter { !pipelineTypes.contains($0.type) },
                           pipelines: children.filter { pipelineTypes.contains($0.type) })
        try node.validate()
        try node.validatePipelinePaths()
        return node
    }

    var field: String? { body["field"] as? String }
    var isPipeline: Bool { Self.pipelineTypes.contains(type) }

    func emptyState() -> AggState {
        switch type {
        case "terms", "date_histogram", "histogram", "composite": return .buckets([:])
        case "range", "date_range", "filters": return .named([:])
        case "filter", "missing", "global": return .single(Bucket(count: 0, subs: [:]))
        case "top_hits", "top_metrics": return .hits([], total: 0)
        default: return .metric(metricSeed())
        }
    }

    func metricSeed() -> MetricState {
        var m = MetricState()
        if type == "percentiles" || type == "percentile_ranks" { m.values = [] }
        if type == "cardinality" { m.hashes = [] }
        return m
    }

    // MARK: collection

    func collect(_ ctx: AggContext, _ docs: [Int32]) throws -> AggState {
        if isPipeline { return .metric(MetricState()) }
        switch type {
        case "filter":
            let q = try QueryParser.parse(body)
            let matched = DocSets.intersect(docs, try ctx.query.docs(q))
            return .single(try bucket(ctx, matched))
        case "global":
            var all = DocSets.all(ctx.segment.docCount)
            if let d = ctx.snapshot.segments.first(where: { $0.segment === ctx.segment })?.deletes { all = all.filter { !d.contains(Int($0)) } }
            return .single(try bucket(ctx, all))
        case "filters": return try collectFilters(ctx, docs)
        case "missing":
            guard let f = field else { throw QueryError.parsing("Required [field] for [missing] aggregation [\(name)]") }
            let has = try ValuesSource(ctx, f, self).docsWithValue()
            return .single(try bucket(ctx, DocSets.subtract(docs, has)))
        case "terms", "histogram", "date_histogram": return try collectKeyed(ctx, docs)
        case "range", "date_range": return try collectRanges(ctx, docs)
        case "composite": return try collectComposite(ctx, docs)
        case "top_hits", "top_metrics": return try collectTopHits(ctx, docs)
        default: return try collectMetric(ctx, docs)
        }
    }

    func bucket(_ ctx: AggContext, _ docs: [Int32]) throws -> Bucket {
        var subs: [String: AggState] = [:]
        for s in self.subs { subs[s.name] = try s.collect(ctx, docs) }
        return Bucket(count: docs.count, subs: subs)
    }

    func collectFilters(_ ctx: AggContext, _ docs: [Int32]) throws -> AggState {
        var out: [String: Bucket] = [:]
        var union: [Int32] = []
        let named: [(String, Any)]
        switch body["filters"] {
        case let d as [String: Any]: named = d.map { ($0.key, $0.value) }
        case let a as [Any]: named = a.enumerated().map { (String(format: "%08d", $0.offset), $0.element) }
        default: throw QueryError.parsing("[filters] requires a [filters] object or array")
        }
        for (k, q) in named {
            let matched = DocSets.intersect(docs, try ctx.query.docs(try QueryParser.parse(q)))
            union = DocSets.union([union, matched])
            out[k] = try bucket(ctx, matched)
        }
        if (body["other_bucket"] as? Bool) == true || body["other_bucket_key"] != nil {
            out["\u{1}" + ((body["other_bucket_key"] as? String) ?? "_other_")] = try bucket(ctx, DocSets.subtract(docs, union))
        }
        return .named(out)
    }

    func collectMetric(_ ctx: AggContext, _ docs: [Int32]) throws -> AggState {
        var m = metricSeed()
        guard let f = field else {
            if type == "value_count" || type == "cardinality" { throw QueryError.parsing("Required [field] for [\(type)] aggregation [\(name)]") }
            throw QueryError.parsing("Required one of fields [field, script], but none were specified.")
        }
        let vs = try ValuesSource(ctx, f, self)
        let missing = (body["missing"] as? NSNumber)?.doubleValue
        // Cardinality keeps a hash per value, percentiles every value: charged before.
        if m.hashes != nil { try ctx.charge(docs.count * 24, name) }
        if m.values != nil { try ctx.charge(docs.count * 8, name) }
        for d in docs {
            if type == "cardinality" || (type == "value_count" && vs.isKeyword) {
                let strs = vs.strings(Int(d))
                for s in strs { if type == "cardinality" { m.hashes!.insert(valueHash(s)); m.count += 1 } else { m.count += 1 } }
                continue
            }
            let vals = vs.numbers(Int(d))
            if vals.isEmpty, let mv = missing { m.add(mv); continue }
            for v in vals { m.add(v) }
        }
        return .metric(m)
    }
}
