import Foundation
import LogpondEngine

/// Aggregation options checked once, when the request is parsed: every number an aggregation
/// reads later (sizes, intervals, bounds, percents, windows) has its type and range checked
/// here, so collection and rendering only ever see values they can compute with.
extension AggNode {
    func validate() throws {
        let ctx = "\(type)] aggregation [\(name)"
        func int(_ key: String, min: Int = 0, max: Int = Int(Int32.max)) throws -> Int? { try Param.int(body[key], "\(key)] in [\(ctx)", min: min, max: max) }
        func num(_ key: String) throws -> Double? { try Param.double(body[key], "\(key)] in [\(ctx)") }
        if let f = body["field"], !(f is String) { throw QueryError.parsing("[field] of [\(ctx)] must be a string") }
        switch type {
        case "terms":
            if let s = try int("size", min: Int(Int32.min)), s <= 0 { throw QueryError.illegal("[size] must be greater than 0. Found [\(s)] in [\(name)]") }
            if let s = try int("shard_size", min: Int(Int32.min)), s <= 0 && s != -1 { throw QueryError.illegal("[shard_size] must be greater than 0. Found [\(s)] in [\(name)]") }
            try minDocCount(int)
            _ = try int("shard_min_doc_count")
            for k in ["include", "exclude"] { try validateIncludeExclude(k) }
        case "histogram":
            guard let iv = try num("interval"), iv > 0 else { throw QueryError.illegal("[interval] must be >0 for histogram aggregation [\(name)]") }
            let off = try num("offset") ?? 0
            try minDocCount(int)
            for k in ["extended_bounds", "hard_bounds"] {
                guard let b = try boundsChecked(k) else { continue }
                // Buckets from min to max, counted before any is made: a step that vanishes
                // next to a large key would otherwise never reach the end.
                let lo = ((b.0 - off) / iv).rounded(.down), hi = ((b.1 - off) / iv).rounded(.down)
                if k == "extended_bounds" && (!(hi - lo).isFinite || hi - lo >= Double(Limits.maxBuckets) || (b.0 + iv == b.0 && b.1 > b.0)) {
                    throw tooManyBuckets()
                }
            }
        case "date_histogram":
            let di = try DateInterval.parse(body)
            try minDocCount(int)
            for k in ["extended_bounds", "hard_bounds"] {
                guard let b = try boundsChecked(k) else { continue }
                if k == "extended_bounds" && b.0.isFinite && b.1.isFinite {
                    guard abs(b.0) < DateMath.maxMillis && abs(b.1) < DateMath.maxMillis else { throw QueryError.illegal("[\(k)] of [\(ctx)] is out of the date range") }
                    if di.estimate(Int64(b.0), Int64(b.1)) > Int64(Limits.maxBuckets) { throw tooManyBuckets() }
                }
            }
        case "composite":
            if let s = try int("size", min: Int(Int32.min)), s <= 0 { throw QueryError.illegal("[size] must be greater than 0. Found [\(s)] in [\(name)]") }
            guard let sources = body["sources"] as? [Any], !sources.isEmpty else { throw QueryError.illegal("Composite [sources] cannot be null or empty") }
            var names: [String] = []
            for s in sources {
                guard let o = s as? [String: Any], o.count == 1, let (n, def) = o.first, let d = def as? [String: Any], d.count == 1,
                      let (kind, params) = d.first, let p = params as? [String: Any], p["field"] is String else {
                    throw QueryError.parsing("[sources] of [\(ctx)] must hold objects of one named terms, histogram or date_histogram source with a [field]")
                }
                names.append(n)
                switch kind {
                case "terms": break
                case "histogram":
                    guard let iv = try Param.double(p["interval"], "interval] in [\(ctx)"), iv > 0 else { throw QueryError.illegal("[interval] must be >0 for histogram source [\(n)]") }
                case "date_histogram": _ = try DateInterval.parse(p)
                default: throw QueryError.illegal("composite source type [\(kind)] is not supported")
                }
            }
            if let a = body["after"] {
                guard let after = a as? [String: Any], Set(after.keys) == Set(names) else {
                    throw QueryError.illegal("[after] of [\(ctx)] must hold one value for each source: \(names)")
                }
            }
        case "top_hits", "top_metrics":
            let size = try int("size", min: Int(Int32.min)) ?? (type == "top_metrics" ? 1 : 3)
            let from = try int("from", min: Int(Int32.min)) ?? 0
            guard size >= 0 else { throw QueryError.illegal("[size] parameter cannot be negative, found [\(size)] in [\(name)]") }
            guard from >= 0 else { throw QueryError.illegal("[from] parameter cannot be negative, found [\(from)] in [\(name)]") }
            if from + size > Limits.maxInnerResultWindow {
                throw QueryError.illegal("Top hits result window is too large, the top hits aggregator [\(name)]'s from + size must be less than or equal to: [\(Limits.maxInnerResultWindow)] but was [\(from + size)]. This limit can be set by changing the [index.max_inner_result_window] index level setting.")
            }
            if let s = body["sort"] { _ = try SearchRequest.parseSort(s) }
        case "percentiles":
            if let p = body["percents"] {
                guard let a = p as? [Any], !a.isEmpty else { throw QueryError.illegal("[percents] must not be empty in [\(ctx)]") }
                for v in a {
                    guard let d = try Param.double(v, "percents] in [\(ctx)"), d >= 0, d <= 100 else {
                        throw QueryError.illegal("percent must be in [0,100], got [\(Param.clip("\(v)"))]")
                    }
                }
            }
        case "percentile_ranks":
            guard let a = body["values"] as? [Any], !a.isEmpty else { throw QueryError.illegal("[values] must not be null or empty: [\(name)]") }
            for v in a { _ = try Param.double(v, "values] in [\(ctx)") }
        case "extended_stats":
            if let s = try num("sigma"), s < 0 { throw QueryError.illegal("[sigma] must be greater than or equal to 0. Found [\(s)] in [\(name)]") }
        case "range", "date_range":
            guard let rs = body["ranges"] as? [Any], !rs.isEmpty else { throw QueryError.illegal("No [ranges] specified for the [\(name)] aggregation") }
            _ = try ranges()
        case "moving_fn", "moving_avg":
            if let w = try int("window", min: Int(Int32.min)), w <= 0 { throw QueryError.illegal("[window] must be a positive, non-zero integer.") }
            _ = try int("shift", min: Int(Int32.min))
        case "derivative":
            if let u = body["unit"] {
                guard let s = u as? String, DateInterval.calendar(s) != nil || DateInterval.fixed(s) != nil else {
                    throw QueryError.illegal("[unit] of [\(ctx)] must be a positive time unit such as 1s, 1m or 1h")
                }
            }
        case "bucket_script", "bucket_selector":
            guard let script = (body["script"] as? String) ?? ((body["script"] as? [String: Any])?["source"] as? String) else {
                throw QueryError.parsing("[script] is required for [\(type)] aggregation [\(name)]")
            }
            _ = try AggScript.parse(script)
        default: break
        }
        if isPipeline {
            let paths = bucketsPath()
            guard !paths.isEmpty else { throw QueryError.parsing("[buckets_path] must be set for [\(type)] aggregation [\(name)]") }
            for p in paths.values where p.isEmpty || p.hasPrefix(">") || p.hasSuffix(">") || p.contains(">>") {
                throw QueryError.illegal("Invalid path element [\(Param.clip(p))] in [buckets_path] of [\(name)]")
            }
        }
    }

    /// A parent pipeline reads `_count`, `_key` or a sibling under this aggregation.
    func validatePipelinePaths() throws {
        for p in pipelines {
            for pth in p.bucketsPath().values {
                let head = String(pth.prefix { $0 != ">" && $0 != "." && $0 != "[" })
                guard head == "_count" || head == "_key" || subs.contains(where: { $0.name == head }) || pipelines.contains(where: { $0.name == head }) else {
                    throw QueryError("aggregation_execution_exception", "No aggregation found for path [\(Param.clip(pth))] under [\(name)]")
                }
            }
        }
    }

    private func minDocCount(_ int: (String, Int, Int) throws -> Int?) throws {
        if let m = try int("min_doc_count", Int(Int32.min), Int(Int32.max)), m < 0 {
            throw QueryError.illegal("[min_doc_count] must be greater than or equal to 0. Found [\(m)] in [\(name)]")
        }
    }

    func tooManyBuckets() -> QueryError {
        QueryError("too_many_buckets_exception", "Trying to create too many buckets. Must be less than or equal to: [\(Limits.maxBuckets)] in [\(name)]; use a larger interval or narrower bounds. This limit can be set by changing the [search.max_buckets] cluster level setting.")
    }

    /// `extended_bounds` / `hard_bounds` with finite numbers (or dates) and min ≤ max.
    private func boundsChecked(_ key: String) throws -> (Double, Double)? {
        guard let raw = body[key] else { return nil }
        guard let o = raw as? [String: Any] else { throw QueryError.parsing("[\(key)] of [\(name)] must be an object with [min] and [max]") }
        for k in ["min", "max"] {
            guard let v = o[k] else { continue }
            if let s = v as? String, Double(s) == nil {
                guard DateMath.parse(s, roundUp: false, format: body["format"] as? String) != nil else {
                    throw QueryError("parse_exception", "failed to parse [\(key).\(k)] of [\(name)]: [\(Param.clip(s))]")
                }
                continue
            }
            _ = try Param.double(v, "\(key).\(k)] in [\(name)")
        }
        guard let b = bounds(key) else { return nil }
        if b.0 > b.1 { throw QueryError.illegal("[\(key).min][\(b.0)] cannot be greater than [\(key).max][\(b.1)] for histogram [\(name)]") }
        return b
    }

    /// terms `include`/`exclude`: a regular expression (compiled now, within the length limit),
    /// an array of exact values, or (include only) a partition.
    private func validateIncludeExclude(_ key: String) throws {
        switch body[key] {
        case nil: break
        case let s as String: keyFilters.append((.regex(try BoundedRegex(lucene: s, context: "\(key)] of [\(name)")), key == "include"))
        case let a as [Any]:
            for v in a where !(v is String) && !(v is NSNumber) { throw QueryError.parsing("[\(key)] values of [\(name)] must be strings or numbers") }
            keyFilters.append((.values(Set(a.map { "\($0)" })), key == "include"))
        case let o as [String: Any] where key == "include":
            guard let n = try Param.int(o["num_partitions"], "num_partitions", min: 1), let p = try Param.int(o["partition"], "partition") else {
                throw QueryError.illegal("[include] partitions of [\(name)] need [partition] ≥ 0 and [num_partitions] ≥ 1")
            }
            guard p < n else { throw QueryError.illegal("[partition] [\(p)] of [\(name)] must be less than [num_partitions] [\(n)]") }
        default: throw QueryError.parsing("[\(key)] of [\(name)] must be a string, an array or a partition object")
        }
    }
}
