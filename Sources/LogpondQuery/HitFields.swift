import Foundation
import LogpondEngine

/// `fields` and `docvalue_fields` values of a hit.
enum HitFields {
    /// Leaf values of a `_source` object by dotted path (arrays flattened).
    static func flatten(_ obj: [String: Any], prefix: String = "") -> [String: [Any]] {
        var out: [String: [Any]] = [:]
        func walk(_ v: Any, _ path: String) {
            switch v {
            case let d as [String: Any]: for (k, x) in d { walk(x, path.isEmpty ? k : path + "." + k) }
            case let a as [Any]: for x in a { walk(x, path) }
            case is NSNull: break
            default: out[path, default: []].append(v)
            }
        }
        walk(obj, prefix)
        return out
    }

    /// Values from `_source` for the requested patterns, typed by the mapping (dates formatted).
    static func fromSource(_ source: [String: Any], _ requests: [SearchRequest.FieldRequest], _ mapping: Mapping) -> [(String, [Any])] {
        let flat = flatten(source)
        var out: [String: [Any]] = [:]
        for r in requests {
            for (path, values) in flat where Store.wildcardMatch(r.pattern, path) {
                guard let fm = mapping.resolve(path) else { continue }
                out[path] = values.map { format($0, fm, r.format) }
                for (sub, sf) in fm.subFields where Store.wildcardMatch(r.pattern, path + "." + sub) {
                    out[path + "." + sub] = values.map { format($0, sf, r.format) }
                }
            }
        }
        return out.sorted { $0.key < $1.key }
    }

    static func format(_ v: Any, _ fm: FieldMapping, _ fmt: String?) -> Any {
        guard fm.type.storage == .date else { return v }
        let s = "\(v)"
        let parsed = (fm.format.flatMap { DateFormats.compile($0) } ?? .standard).parse(s)
            ?? (v as? NSNumber).flatMap { DateFormats.standard.parse(number: $0.doubleValue) }
        guard let (sec, ns) = parsed else { return v }
        return formatDate(seconds: sec, nanos: ns, fmt)
    }

    /// A date in `fmt` (default `strict_date_optional_time`; `epoch_millis`; `…_nanos` keeps nanoseconds).
    static func formatDate(seconds: Int64, nanos: Int64, _ fmt: String?) -> Any {
        switch fmt {
        case "epoch_millis": return String(seconds * 1000 + nanos / 1_000_000)
        case "epoch_second": return String(seconds)
        case let f? where f.hasSuffix("_nanos"):
            let base = DateParser.format(millis: seconds * 1000)
            return String(base.dropLast(5)) + String(format: ".%09lldZ", nanos)
        default: return DateParser.format(millis: seconds * 1000 + nanos / 1_000_000)
        }
    }

    /// Doc-value fields read from the segment's columns.
    static func fromDocValues(_ seg: Segment, _ doc: Int, _ requests: [SearchRequest.FieldRequest], _ mapping: Mapping) throws -> [(String, [Any])] {
        var out: [(String, [Any])] = []
        for r in requests {
            let paths = r.pattern.contains("*") ? mapping.leafPaths.map { $0.0 }.filter { Store.wildcardMatch(r.pattern, $0) } : [r.pattern]
            for path in paths {
                guard let fm = mapping.resolve(path) else { continue }
                if let col = try seg.numericColumn(path), col.has(doc) {
                    switch fm.type.storage {
                    case .date:
                        let v = col.value(doc)
                        let (sec, ns) = fm.type == .dateNanos ? (DateFormats.floorDiv(v, 1_000_000_000), DateFormats.floorMod(v, 1_000_000_000))
                                                              : (DateFormats.floorDiv(v, 1000), DateFormats.floorMod(v, 1000) * 1_000_000)
                        out.append((path, [formatDate(seconds: sec, nanos: ns, r.format)]))
                    case .floating: out.append((path, [col.double(doc)]))
                    case .boolean: out.append((path, [col.value(doc) == 1]))
                    default: out.append((path, [col.value(doc)]))
                    }
                } else if let col = try seg.ordinalColumn(path), let dict = try seg.dictionary(path) {
                    let vals = col.values(doc).map { o -> Any in
                        let t = dict.termString(Int(o))
                        return fm.type == .ip ? IPAddress.format(term: t) : t
                    }
                    if !vals.isEmpty { out.append((path, vals)) }
                }
            }
        }
        return out
    }
}
