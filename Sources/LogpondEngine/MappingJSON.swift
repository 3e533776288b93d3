import Foundation

/// Converts mappings to and from Elasticsearch's JSON form (`{"properties": {...}}`).
public enum MappingJSON {
    /// Elasticsearch's nested JSON object for a mapping.
    public static func toJSON(_ m: Mapping) -> [String: Any] {
        var root: [String: Any] = [:]
        if m.dynamic != "true" { root["dynamic"] = m.dynamic }
        var props: [String: Any] = [:]
        // Build nested properties from dotted paths; objects first so children find their parent.
        for (path, f) in m.fields.sorted(by: { $0.key < $1.key }) {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            insert(&props, parts[...], field(f))
        }
        if !props.isEmpty { root["properties"] = props }
        return root
    }

    private static func insert(_ props: inout [String: Any], _ parts: ArraySlice<String>, _ value: [String: Any]) {
        guard let first = parts.first else { return }
        if parts.count == 1 {
            var v = value
            if let existing = props[first] as? [String: Any], let sub = existing["properties"] { v["properties"] = sub }
            props[first] = v
            return
        }
        var obj = props[first] as? [String: Any] ?? [:]
        var sub = obj["properties"] as? [String: Any] ?? [:]
        insert(&sub, parts.dropFirst(), value)
        obj["properties"] = sub
        props[first] = obj
    }

    static func field(_ f: FieldMapping) -> [String: Any] {
        if f.type == .object { return [:] }
        var d: [String: Any] = ["type": f.type.rawValue]
        if !f.index { d["index"] = false }
        if !f.docValues { d["doc_values"] = false }
        if let ia = f.ignoreAbove { d["ignore_above"] = ia }
        if let a = f.analyzer { d["analyzer"] = a }
        if let fm = f.format { d["format"] = fm }
        if !f.subFields.isEmpty { d["fields"] = f.subFields.mapValues { field($0) } }
        return d
    }

    /// Parses a `mappings` body: typeless, or typed (`{"<type>": {"properties": …}}`, ES 6 style).
    public static func parse(_ json: Any) throws -> Mapping {
        guard var obj = json as? [String: Any] else { throw EngineError.mapperParsing("Root mapping definition must be an object") }
        if obj["properties"] == nil, obj.count == 1, let (k, v) = obj.first, let inner = v as? [String: Any],
           !k.hasPrefix("_") || k == "_doc", inner["properties"] != nil || inner["dynamic"] != nil || inner.isEmpty {
            obj = inner
        }
        var m = Mapping()
        if let d = obj["dynamic"] { m.dynamic = "\(d)" == "1" ? "true" : "\(d)" == "0" ? "false" : "\(d)" }
        if let d = obj["date_detection"] as? Bool { m.dateDetection = d }
        if let d = obj["numeric_detection"] as? Bool { m.numericDetection = d }
        if let props = obj["properties"] {
            guard let p = props as? [String: Any] else { throw EngineError.mapperParsing("[properties] must be an object") }
            try parseProperties(p, prefix: "", into: &m)
        }
        return m
    }

    static func parseProperties(_ props: [String: Any], prefix: String, into m: inout Mapping) throws {
        for (name, def) in props {
            guard let d = def as? [String: Any] else { throw EngineError.mapperParsing("Expected map for property [\(name)]") }
            let path = prefix.isEmpty ? name : prefix + "." + name
            if d["type"] == nil || (d["type"] as? String) == "object" || (d["type"] as? String) == "nested" {
                m.add(path, FieldMapping(type: .object))
                if let sub = d["properties"] as? [String: Any] { try parseProperties(sub, prefix: path, into: &m) }
                continue
            }
            m.add(path, try parseField(d, name: path))
        }
    }

    static func parseField(_ d: [String: Any], name: String) throws -> FieldMapping {
        guard var typeName = d["type"] as? String else { throw EngineError.mapperParsing("No type specified for field [\(name)]") }
        var indexOpt = d["index"]
        // Elasticsearch 2.x `string` with analyzed / not_analyzed / no.
        if typeName == "string" {
            let idx = d["index"] as? String
            typeName = idx == "not_analyzed" ? "keyword" : "text"
            if idx == "no" { indexOpt = false } else { indexOpt = nil }
        }
        guard let type = FieldType(rawValue: typeName) else {
            throw EngineError.mapperParsing("No handler for type [\(typeName)] declared on field [\(name)]")
        }
        var f = FieldMapping(type: type)
        switch indexOpt {
        case let b as Bool: f.index = b
        case let s as String: f.index = !(s == "no" || s == "false")   // "not_analyzed"/"analyzed" keep indexing
        default: break
        }
        if let dv = d["doc_values"] as? Bool { f.docValues = dv }
        if let ia = d["ignore_above"] as? Int { f.ignoreAbove = ia }
        if let a = d["analyzer"] as? String { f.analyzer = a }
        if let fm = d["format"] as? String { f.format = fm }
        if let subs = d["fields"] as? [String: Any] {
            for (s, sd) in subs {
                guard let sdd = sd as? [String: Any] else { continue }
                f.subFields[s] = try parseField(sdd, name: name + "." + s)
            }
        }
        return f
    }
}
