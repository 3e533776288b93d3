import Foundation
import LogpondEngine

/// A rendered aggregation, kept structured until pipelines have read it.
final class RAgg {
    var body: [(String, Any)] = []
    var buckets: [RBucket]? = nil
    var keyedBuckets = false
    /// Single-value metric (`value`) or named values (stats fields, percentiles).
    var value: Double? = nil
    var named: [String: Double] = [:]

    func json() -> [(String, Any)] {
        guard let buckets else { return body }
        var out = body.filter { $0.0 != "buckets" }
        if keyedBuckets { out.append(("buckets", buckets.map { ($0.label ?? $0.keyAsString ?? "\($0.key)", $0.json() as Any) })) }
        else { out.append(("buckets", buckets.map { $0.json() as Any })) }
        return out
    }

    /// What `json()` gives, written straight into `w`: a histogram has thousands of buckets,
    /// and building them as `[(String, Any)]` first cost more than the search.
    func write(to w: inout JSONWriter) {
        guard let buckets else { w.any(body); return }
        w.raw("{")
        var first = true
        for (k, v) in body where k != "buckets" {
            if !first { w.comma() }
            first = false
            w.key(k); w.any(v)
        }
        if !first { w.comma() }
        w.key("buckets")
        w.raw(keyedBuckets ? "{" : "[")
        for (i, b) in buckets.enumerated() {
            if i > 0 { w.comma() }
            if keyedBuckets { w.key(b.label ?? b.keyAsString ?? "\(b.key)") }
            b.write(to: &w)
        }
        w.raw(keyedBuckets ? "}}" : "]}")
    }
}

final class RBucket {
    var key: Any
    var keyString: String?
    var count: Int
    var subs: [(String, RAgg)] = []
    var extra: [(String, Any)] = []
    var from: Any? = nil, to: Any? = nil, fromString: String? = nil, toString: String? = nil
    /// The object key when buckets are keyed (filters), not printed inside the bucket.
    var label: String? = nil
    /// A whole-number key (dates, integers), written without going through `Any`.
    var intKey: Int64? = nil
    /// A date key in the default format: `key_as_string` is written from it directly (a
    /// histogram over a day of minutes made 1,440 strings only to copy them out).
    var dateKey: Int64? = nil
    init(key: Any, keyString: String?, count: Int) { self.key = key; self.keyString = keyString; self.count = count }

    /// `key_as_string`, however it is held.
    var keyAsString: String? { keyString ?? dateKey.map { DateParser.format(millis: $0) } }

    func json() -> [(String, Any)] {
        var out: [(String, Any)] = []
        if !(key is NSNull) { out.append(("key", key)) }
        if let f = from { out.append(("from", f)) }
        if let fs = fromString { out.append(("from_as_string", fs)) }
        if let t = to { out.append(("to", t)) }
        if let ts = toString { out.append(("to_as_string", ts)) }
        if let ks = keyAsString, !(key is String) { out.append(("key_as_string", ks)) }
        out.append(("doc_count", count))
        for (n, a) in subs { out.append((n, a.json())) }
        out += extra
        return out
    }

    /// `json()` written straight into `w`, in the same order.
    func write(to w: inout JSONWriter) {
        w.raw("{")
        var first = true
        // Constant keys (with their quotes and colon) are copied, not scanned for escapes: a
        // histogram writes thousands of buckets. Only sub-aggregation and extra names are keys
        // from the request.
        func field(_ k: StaticString) { if !first { w.comma() }; first = false; w.lit(k) }
        func named(_ k: String) { if !first { w.comma() }; first = false; w.key(k) }
        if let ik = intKey { field("\"key\":"); w.int(ik) } else if !(key is NSNull) { field("\"key\":"); w.any(key) }
        if let f = from { field("\"from\":"); w.any(f) }
        if let fs = fromString { field("\"from_as_string\":"); w.string(fs) }
        if let t = to { field("\"to\":"); w.any(t) }
        if let ts = toString { field("\"to_as_string\":"); w.string(ts) }
        if let dk = dateKey { field("\"key_as_string\":"); w.isoDate(millis: dk) }
        else if let ks = keyString, intKey != nil || !(key is String) { field("\"key_as_string\":"); w.string(ks) }
        field("\"doc_count\":"); w.int(count)
        for (n, a) in subs { named(n); a.write(to: &w) }
        for (n, v) in extra { named(n); w.any(v) }
        w.raw("}")
    }

    /// A buckets_path value inside this bucket: `_count`, `agg`, `agg.value`, `agg.avg`, `agg[99.0]`, `agg>sub`.
    func value(_ path: String) -> Double? {
        if path == "_count" { return Double(count) }
        if path == "_key" { return (key as? NSNumber)?.doubleValue ?? (key as? Double) }
        var head = path
        var rest: String? = nil
        if let gt = path.firstIndex(of: ">") { head = String(path[..<gt]); rest = String(path[path.index(after: gt)...]) }
        var prop: String? = nil
        if let br = head.firstIndex(of: "["), head.hasSuffix("]") { prop = String(head[head.index(after: br)..<head.index(before: head.endIndex)]); head = String(head[..<br]) }
        else if let dot = head.firstIndex(of: ".") { prop = String(head[head.index(after: dot)...]); head = String(head[..<dot]) }
        guard let agg = subs.first(where: { $0.0 == head })?.1 else {
            if let e = extra.first(where: { $0.0 == head })?.1 as? [(String, Any)], let v = e.first(where: { $0.0 == "value" })?.1 { return (v as? Double) ?? (v as? NSNumber)?.doubleValue }
            return nil
        }
        if let rest, let b = agg.buckets?.first { return b.value(rest) }
        if let p = prop, p != "value" { return agg.named[p] ?? agg.named[String(Double(p) ?? -1)] }
        return agg.value
    }
}

extension AggNode {
    func fieldType(_ mappings: [Mapping]) -> FieldMapping? {
        guard let f = field else { return nil }
        for m in mappings { if let fm = m.resolve(f) { return fm } }
        return nil
    }

    /// A date key as `format` (default strict_date_optional_time with millis) or a number as text.
    func formatKey(_ v: Double) -> String {
        let fmt = formatOption
        if datedKeys || fmt != nil {
            let ms = DateMath.clamp(v)
            if fmt == "epoch_millis" { return String(ms) }
            if let f = fmt, f != "strict_date_optional_time", f != "date_optional_time", let s = JavaDateFormat.format(ms, f) { return s }
            return DateParser.format(millis: ms)
        }
        return v == v.rounded() && abs(v) < 1e15 ? String(format: "%.1f", v) : String(v)
    }

    func render(_ state: AggState, into w: inout JSONWriter, budget: inout BucketBudget, mappings: [Mapping]) throws {
        let r = try renderTree(state, budget: &budget, mappings: mappings)
        r.write(to: &w)
    }

    func renderTree(_ state: AggState, budget: inout BucketBudget, mappings: [Mapping]) throws -> RAgg {
        let out = RAgg()
        let fm = fieldType(mappings)
        let isDate = fm?.type.storage == .date
        switch (type, state) {
        case ("min", .metric(let m)), ("max", .metric(let m)), ("avg", .metric(let m)), ("sum", .metric(let m)):
            let v: Double? = m.count == 0 ? (type == "sum" ? 0 : nil) : type == "min" ? m.min : type == "max" ? m.max : type == "avg" ? m.sum / Double(m.count) : m.sum
            out.value = v
            out.body = [("value", v.map { $0 as Any } ?? NSNull())]
            if let v, isDate { out.body.append(("value_as_string", DateParser.format(millis: DateMath.clamp(v)))) }
        case ("value_count", .metric(let m)):
            out.value = Double(m.count); out.body = [("value", m.count)]
        case ("cardinality", .metric(let m)):
            out.value = Double(m.hashes?.count ?? 0); out.body = [("value", m.hashes?.count ?? 0)]
        case ("stats", .metric(let m)), ("extended_stats", .metric(let m)):
            let n = Double(m.count)
            let avg = m.count > 0 ? m.sum / n : nil
            out.named = ["count": n, "sum": m.sum]
            if m.count > 0 { out.named["min"] = m.min; out.named["max"] = m.max; out.named["avg"] = avg! }
            out.body = [("count", m.count), ("min", m.count > 0 ? m.min as Any : NSNull()), ("max", m.count > 0 ? m.max as Any : NSNull()),
                        ("avg", avg.map { $0 as Any } ?? NSNull()), ("sum", m.sum)]
            if type == "extended_stats" {
                let sigma = (body["sigma"] as? NSNumber)?.doubleValue ?? 2
                if m.count > 0 {
                    let varPop = max(0, m.sumOfSquares / n - avg! * avg!)
                    let varSample = m.count > 1 ? varPop * n / (n - 1) : 0
                    let sd = varPop.squareRoot(), sds = varSample.squareRoot()
                    out.named["variance"] = varPop; out.named["std_deviation"] = sd
                    out.body += [("sum_of_squares", m.sumOfSquares), ("variance", varPop), ("variance_population", varPop), ("variance_sampling", varSample),
                                 ("std_deviation", sd), ("std_deviation_population", sd), ("std_deviation_sampling", sds),
                                 ("std_deviation_bounds", [("upper", avg! + sigma * sd), ("lower", avg! - sigma * sd), ("upper_population", avg! + sigma * sd),
                                                           ("lower_population", avg! - sigma * sd), ("upper_sampling", avg! + sigma * sds), ("lower_sampling", avg! - sigma * sds)] as [(String, Any)])]
                } else {
                    out.body += [("sum_of_squares", NSNull()), ("variance", NSNull()), ("variance_population", NSNull()), ("variance_sampling", NSNull()),
                                 ("std_deviation", NSNull()), ("std_deviation_population", NSNull()), ("std_deviation_sampling", NSNull()),
                                 ("std_deviation_bounds", [("upper", NSNull()), ("lower", NSNull()), ("upper_population", NSNull()), ("lower_population", NSNull()),
                                                           ("upper_sampling", NSNull()), ("lower_sampling", NSNull())] as [(String, Any)])]
                }
            }
        case ("percentiles", .metric(let m)):
            let percents = (body["percents"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue ?? Double("\($0)") } ?? [1, 5, 25, 50, 75, 95, 99]
            var vals: [(String, Any)] = []
            for p in percents {
                let v = m.percentile(p)
                out.named[String(p)] = v
                vals.append((String(p), v.map { $0 as Any } ?? NSNull()))
            }
            if (body["keyed"] as? Bool) == false {
                out.body = [("values", vals.map { [("key", Double($0.0)!), ("value", $0.1)] as [(String, Any)] as Any })]
            } else { out.body = [("values", vals)] }
        case ("percentile_ranks", .metric(let m)):
            let targets = (body["values"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue ?? Double("\($0)") } ?? []
            let vals: [(String, Any)] = targets.map { t in let r = m.rank(t); out.named[String(t)] = r; return (String(t), r.map { $0 as Any } ?? NSNull()) }
            out.body = [("values", vals)]
        case ("top_hits", .hits(let hs, let total)), ("top_metrics", .hits(let hs, let total)):
            let sort = try (body["sort"]).map { try SearchRequest.parseSort($0) } ?? []
            let effective = sort.isEmpty ? [SearchRequest.SortKey(field: "_score", descending: true)] : sort
            let size = (body["size"] as? Int) ?? (type == "top_metrics" ? 1 : 3)
            let top = hs.sorted { Searcher().less($0.keys, $1.keys, effective) }.prefix(size)
            if type == "top_metrics" {
                out.body = [("top", top.map { h -> Any in
                    [("sort", Array(h.keys.prefix(effective.count)).map { k -> Any in if case .num(let d) = k { return d }; if case .str(let s) = k { return s }; return NSNull() }),
                     ("metrics", h.metrics.map { ($0.0, $0.1.map { $0 as Any } ?? NSNull()) })] as [(String, Any)]
                })]
                if let f = top.first?.metrics.first { out.value = f.1 }
            } else {
                let src = body["_source"]
                out.body = [("hits", [("total", [("value", total), ("relation", "eq")] as [(String, Any)]),
                                      ("max_score", sort.isEmpty ? (top.first.map { Double($0.score) as Any } ?? NSNull()) : NSNull()),
                                      ("hits", top.map { h -> Any in
                                          var o: [(String, Any)] = [("_index", h.index), ("_type", "_doc"), ("_id", h.id),
                                                                    ("_score", sort.isEmpty ? Double(h.score) as Any : NSNull())]
                                          if (src as? Bool) != false {
                                              var bytes = h.source
                                              if let inc = src as? [Any] { bytes = SourceFilter.apply(bytes, includes: inc.map { "\($0)" }, excludes: []) }
                                              if let inc = src as? String { bytes = SourceFilter.apply(bytes, includes: [inc], excludes: []) }
                                              if let o2 = src as? [String: Any] {
                                                  bytes = SourceFilter.apply(bytes, includes: (o2["includes"] as? [Any])?.map { "\($0)" } ?? [], excludes: (o2["excludes"] as? [Any])?.map { "\($0)" } ?? [])
                                              }
                                              o.append(("_source", RawJSON(bytes)))
                                          }
                                          if !sort.isEmpty { o.append(("sort", h.keys.prefix(sort.count).map { k -> Any in if case .num(let d) = k { return d == d.rounded() ? Int64(d) as Any : d }; if case .str(let s) = k { return s }; return NSNull() })) }
                                          return o
                                      })] as [(String, Any)])]
            }
        case ("filter", .single(let b)), ("missing", .single(let b)), ("global", .single(let b)):
            try budget.take(1)
            out.body = [("doc_count", b.count)]
            for s in subs { out.body.append((s.name, try s.renderTree(b.subs[s.name] ?? s.emptyState(), budget: &budget, mappings: mappings).json())) }
            out.value = Double(b.count)
        case ("filters", .named(let m)):
            try budget.take(m.count)
            let keyed = body["filters"] is [String: Any]
            var bs: [RBucket] = []
            for k in m.keys.sorted(by: { a, b in (a.hasPrefix("\u{1}") ? 1 : 0, a) < (b.hasPrefix("\u{1}") ? 1 : 0, b) }) {
                let label = k.hasPrefix("\u{1}") ? String(k.dropFirst()) : k
                let rb = RBucket(key: NSNull(), keyString: nil, count: m[k]!.count)
                rb.label = label
                rb.subs = try subs.map { ($0.name, try $0.renderTree(m[k]!.subs[$0.name] ?? $0.emptyState(), budget: &budget, mappings: mappings)) }
                bs.append(rb)
            }
            out.buckets = bs
            out.keyedBuckets = keyed
        case ("range", .named(let m)), ("date_range", .named(let m)):
            let rs = try ranges()
            try budget.take(rs.count)
            var bs: [RBucket] = []
            for (i, r) in rs.enumerated() {
                let b = m[String(format: "%06d", i)] ?? Bucket(count: 0, subs: [:])
                let rb = RBucket(key: r.key, keyString: r.key, count: b.count)
                rb.from = r.from.map { $0 as Any }; rb.to = r.to.map { $0 as Any }
                if type == "date_range" { rb.fromString = r.from.map { formatKey($0) }; rb.toString = r.to.map { formatKey($0) } }
                rb.subs = try subs.map { ($0.name, try $0.renderTree(b.subs[$0.name] ?? $0.emptyState(), budget: &budget, mappings: mappings)) }
                bs.append(rb)
            }
            out.buckets = bs
            out.keyedBuckets = body["keyed"] as? Bool ?? false
        case ("terms", .buckets(let m)): try renderTerms(m, out, fm, &budget, mappings)
        case ("date_histogram", .buckets(let m)), ("histogram", .buckets(let m)): try renderHistogram(m, out, &budget, mappings)
        case ("composite", .buckets(let m)): try renderComposite(m, out, &budget, mappings)
        default:
            out.body = [("value", NSNull())]
        }
        if let bs = out.buckets { try applyPipelines(bs, out) }
        return out
    }

    func renderBucket(_ key: AggKey, _ b: Bucket, _ fm: FieldMapping?, _ budget: inout BucketBudget, _ mappings: [Mapping]) throws -> RBucket {
        let rb: RBucket
        switch key {
        case .str(let s): rb = RBucket(key: s, keyString: nil, count: b.count)
        case .num(let d):
            let storage = fm?.type.storage
            let isDate = type == "date_histogram" || storage == .date
            let whole = (isDate || storage == .integer || storage == .boolean) && d == d.rounded() && abs(d) < 9.2e18
            let keyValue: Any = whole ? Int64(d) as Any : d as Any
            let defaultDate = datedKeys && whole && (formatOption == nil || formatOption == "strict_date_optional_time" || formatOption == "date_optional_time")
            var ks: String? = (isDate || formatOption != nil) && !defaultDate ? formatKey(d) : nil
            if fm?.type.storage == .boolean { ks = d == 1 ? "true" : "false" }
            rb = RBucket(key: keyValue, keyString: ks, count: b.count)
            if whole { rb.intKey = Int64(d) }
            if defaultDate && ks == nil { rb.dateKey = Int64(d) }
        }
        rb.subs = try subs.map { ($0.name, try $0.renderTree(b.subs[$0.name] ?? $0.emptyState(), budget: &budget, mappings: mappings)) }
        return rb
    }

    /// `order`: `_count`, `_key`, or a sub-aggregation path; an object or an array of them.
    func orderKeys(default def: [(String, Bool)]) -> [(String, Bool)] {
        func one(_ o: [String: Any]) -> [(String, Bool)] { o.map { ($0.key == "_term" ? "_key" : $0.key, ("\($0.value)").lowercased() == "asc") } }
        switch body["order"] {
        case let o as [String: Any]: return one(o)
        case let a as [Any]: return a.compactMap { $0 as? [String: Any] }.flatMap(one)
        default: return def
        }
    }

    func sortBuckets(_ bs: inout [RBucket], _ order: [(String, Bool)]) {
        bs.sort { a, b in
            for (k, asc) in order {
                let x: AggKey, y: AggKey
                if k == "_key" {
                    x = (a.key as? String).map { .str($0) } ?? .num((a.key as? NSNumber)?.doubleValue ?? (a.key as? Double) ?? Double(a.key as? Int64 ?? 0))
                    y = (b.key as? String).map { .str($0) } ?? .num((b.key as? NSNumber)?.doubleValue ?? (b.key as? Double) ?? Double(b.key as? Int64 ?? 0))
                } else {
                    x = .num(a.value(k) ?? -Double.infinity); y = .num(b.value(k) ?? -Double.infinity)
                }
                if x == y { continue }
                return asc ? x < y : y < x
            }
            return false
        }
    }

    func renderTerms(_ m: [AggKey: Bucket], _ out: RAgg, _ fm: FieldMapping?, _ budget: inout BucketBudget, _ mappings: [Mapping]) throws {
        let size = (body["size"] as? Int) ?? 10
        let minDoc = (body["min_doc_count"] as? Int) ?? 1
        var entries = m.filter { $0.value.count >= minDoc }
        for f in keyFilters {
            switch f.match {
            case .regex(let r): entries = try entries.filter { try r.matches(Self.keyString($0.key)) == f.keep }
            case .values(let set): entries = entries.filter { set.contains(Self.keyString($0.key)) == f.keep }
            }
        }
        var bs = try entries.map { try renderBucket($0.key, $0.value, fm, &budget, mappings) }
        let order = orderKeys(default: [("_count", false), ("_key", true)])
        sortBuckets(&bs, order + (order.contains { $0.0 == "_key" } ? [] : [("_key", true)]))
        let kept = Array(bs.prefix(size))
        try budget.take(kept.count)
        let other = bs.dropFirst(size).reduce(0) { $0 + $1.count }
        out.body = [("doc_count_error_upper_bound", 0), ("sum_other_doc_count", other)]
        out.buckets = kept
    }

    static func keyString(_ k: AggKey) -> String {
        switch k { case .str(let x): return x; case .num(let d): return d == d.rounded() && abs(d) < 9e15 ? String(Int64(d)) : String(d) }
    }

    func renderHistogram(_ m: [AggKey: Bucket], _ out: RAgg, _ budget: inout BucketBudget, _ mappings: [Mapping]) throws {
        let minDoc = (body["min_doc_count"] as? Int) ?? 0
        // Present keys ascending; empty buckets are merged in by walking the keys in order
        // (no dictionary per bucket: a day of minutes is 1,440 of them).
        let present: [(Double, Bucket)] = m.compactMap { kv -> (Double, Bucket)? in if case .num(let d) = kv.key { return (d, kv.value) }; return nil }
            .sorted { $0.0 < $1.0 }
        var keys: [(Double, Bucket)] = present
        if minDoc == 0 {
            // Empty buckets between the first and last key, widened to extended_bounds.
            var lo = present.first?.0, hi = present.last?.0
            if let eb = bounds("extended_bounds") {
                if eb.0.isFinite { lo = min(lo ?? eb.0, eb.0) }
                if eb.1.isFinite { hi = max(hi ?? eb.1, eb.1) }
            }
            if let lo0 = lo, let hi0 = hi {
                var grid: [Double] = []
                if type == "date_histogram" {
                    let di = try DateInterval.parse(body)
                    var k = di.key(DateMath.clamp(lo0))
                    let end = di.key(DateMath.clamp(hi0))
                    if di.estimate(k, end) > Int64(Limits.maxBuckets) { try budget.take(Int(min(di.estimate(k, end), Int64(Int32.max)))) }
                    while k <= end {
                        grid.append(Double(k))
                        let next = di.next(k)
                        guard next > k, grid.count <= Limits.maxBuckets else { throw tooManyBuckets() }
                        k = next
                    }
                } else {
                    let iv = (body["interval"] as? NSNumber)?.doubleValue ?? 1
                    let off = (body["offset"] as? NSNumber)?.doubleValue ?? 0
                    var k = ((lo0 - off) / iv).rounded(.down) * iv + off
                    let span = (hi0 - k) / iv
                    guard span.isFinite, span <= Double(Limits.maxBuckets) else { throw tooManyBuckets() }
                    // Each step must move the key: next to a large key a small interval adds nothing.
                    while k <= hi0 {
                        grid.append(k)
                        let next = k + iv
                        guard next > k, grid.count <= Limits.maxBuckets else { throw tooManyBuckets() }
                        k = next
                    }
                }
                // Merge the grid with the present keys (either may hold keys the other lacks).
                keys = []
                keys.reserveCapacity(grid.count + present.count)
                var i = 0, j = 0
                let empty = Bucket(count: 0, subs: [:])
                while i < grid.count || j < present.count {
                    if j == present.count || (i < grid.count && grid[i] < present[j].0) { keys.append((grid[i], empty)); i += 1 }
                    else if i == grid.count || present[j].0 < grid[i] { keys.append(present[j]); j += 1 }
                    else { keys.append(present[j]); i += 1; j += 1 }
                }
            }
        }
        var bs: [RBucket] = []
        bs.reserveCapacity(keys.count)
        let fm: FieldMapping? = type == "date_histogram" ? FieldMapping(type: .date) : nil
        for (k, b) in keys where b.count >= minDoc { bs.append(try renderBucket(.num(k), b, fm, &budget, mappings)) }
        try budget.take(bs.count)
        let order = orderKeys(default: [("_key", true)])
        if order.count != 1 || order[0].0 != "_key" || !order[0].1 { sortBuckets(&bs, order) }
        out.buckets = bs
        out.keyedBuckets = body["keyed"] as? Bool ?? false
    }

    func renderComposite(_ m: [AggKey: Bucket], _ out: RAgg, _ budget: inout BucketBudget, _ mappings: [Mapping]) throws {
        let names = (body["sources"] as? [Any] ?? []).compactMap { ($0 as? [String: Any])?.keys.first }
        let size = (body["size"] as? Int) ?? 10
        var entries: [([AggKey], Bucket)] = m.map { kv in
            var raw = ""
            if case .str(let s) = kv.key { raw = s }
            return (CompositeKey.decode(raw), kv.value)
        }
        entries.sort { a, b in a.0.lexicographicallyPrecedes(b.0) }
        if let after = body["after"] as? [String: Any] {
            let a: [AggKey] = names.map { n in
                let v = after[n]
                if let num = v as? NSNumber { return .num(num.doubleValue) }
                return .str(v.map { "\($0)" } ?? "")
            }
            entries = entries.filter { a.lexicographicallyPrecedes($0.0) }
        }
        let page = Array(entries.prefix(size))
        try budget.take(page.count)
        func keyObject(_ ks: [AggKey]) -> [(String, Any)] {
            zip(names, ks).map { n, k in
                switch k { case .str(let s): return (n, s); case .num(let d): return (n, d == d.rounded() && abs(d) < 9e15 ? Int64(d) as Any : d as Any) }
            }
        }
        var bs: [RBucket] = []
        for (ks, b) in page {
            let rb = RBucket(key: keyObject(ks), keyString: nil, count: b.count)
            rb.subs = try subs.map { ($0.name, try $0.renderTree(b.subs[$0.name] ?? $0.emptyState(), budget: &budget, mappings: mappings)) }
            bs.append(rb)
        }
        if let last = page.last { out.body = [("after_key", keyObject(last.0))] }
        out.buckets = bs
    }
}
