import Foundation

/// Converts mappings to and from Elasticsearch's JSON form (`{"properties": {...}}`).
public enum MappingJSON {
    /// Elasticsearch's nested JSON object for a mapping.
    public static func toJSON(_ m: Mapping) -> [String: Any] {
        var root: [String: Any] = [:]
        if m.dynamic != "true" { root["dynamic"] = m.dynamic == "false" ? false as Any : m.dynamic as Any }
        if !m.dateDetection { root["date_detection"] = false }
        if m.numericDetection { root["numeric_detection"] = true }
        if !m.dynamicTemplates.isEmpty { root["dynamic_templates"] = m.dynamicTemplates.map { $0.raw } }
        if !m.dynamicDateFormats.isEmpty { root["dynamic_date_formats"] = m.dynamicDateFormats }
        var props: [String: Any] = [:]
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

    /// One field's JSON as Elasticsearch shows it.
    public static func field(_ f: FieldMapping) -> [String: Any] {
        if f.type == .object {
            var d: [String: Any] = [:]
            if !f.enabled { d["type"] = "object"; d["enabled"] = false }
            if let dy = f.dynamic { d["dynamic"] = dy == "false" ? false as Any : dy == "true" ? true as Any : dy as Any }
            return d
        }
        var d: [String: Any] = ["type": f.type.rawValue]
        if !f.index { d["index"] = false }
        if !f.docValues { d["doc_values"] = false }
        if let ia = f.ignoreAbove { d["ignore_above"] = ia }
        if let a = f.analyzer { d["analyzer"] = a }
        if let a = f.searchAnalyzer { d["search_analyzer"] = a }
        if let n = f.normalizer { d["normalizer"] = n }
        if let fm = f.format { d["format"] = fm }
        if let nv = f.nullValue { d["null_value"] = nv }
        if let sf = f.scalingFactor { d["scaling_factor"] = sf }
        if f.fielddata { d["fielddata"] = true }
        if !f.subFields.isEmpty { d["fields"] = f.subFields.mapValues { field($0) } }
        return d
    }

    /// Parses a `mappings` body: typeless, or typed (`{"<type>": {"properties": …}}`, ES 6 style).
    public static func parse(_ json: Any) throws -> Mapping {
        guard var obj = json as? [String: Any] else { throw EngineError.mapperParsing("Root mapping definition must be an object") }
        let rootKeys: Set<String> = ["properties", "dynamic", "dynamic_templates", "date_detection", "numeric_detection", "_source", "_meta",
                                     "_routing", "_all", "dynamic_date_formats", "_field_names", "enabled", "runtime"]
        if obj.count == 1, let (k, v) = obj.first, !rootKeys.contains(k), let inner = v as? [String: Any] {
            obj = inner   // typed mapping: {"fluent-logging": {"properties": …}}
        }
        var m = Mapping()
        if let d = obj["dynamic"] { m.dynamic = dynamicValue(d) }
        if let d = obj["date_detection"] { m.dateDetection = boolValue(d) ?? true }
        if let d = obj["numeric_detection"] { m.numericDetection = boolValue(d) ?? false }
        if let dt = obj["dynamic_templates"] {
            guard let list = dt as? [Any] else { throw EngineError.mapperParsing("[dynamic_templates] must be an array") }
            m.dynamicTemplates = try list.map { try DynamicTemplate.parse($0) }
        }
        if let f = obj["dynamic_date_formats"] as? [Any] { m.dynamicDateFormats = f.compactMap { $0 as? String } }
        if let props = obj["properties"] {
            guard let p = props as? [String: Any] else { throw EngineError.mapperParsing("[properties] must be an object") }
            try parseProperties(p, prefix: "", into: &m)
        }
        return m
    }

    static func dynamicValue(_ d: Any) -> String {
        if let b = boolValue(d) { return b ? "true" : "false" }
        return "\(d)"
    }

    static func boolValue(_ v: Any) -> Bool? {
        if let s = v as? String { return s == "true" ? true : s == "false" ? false : nil }
        if let n = v as? NSNumber { return n.boolValue }
        return nil
    }

    static func parseProperties(_ props: [String: Any], prefix: String, into m: inout Mapping) throws {
        for (name, def) in props {
            guard let d = def as? [String: Any] else { throw EngineError.mapperParsing("Expected map for property [\(name)] but got a \(type(of: def))") }
            let path = prefix.isEmpty ? name : prefix + "." + name
            // The same rules as a document's new fields: a mapped name a segment cannot hold
            // would make every document that uses it impossible to flush.
            try DocumentIndexer.checkFieldPath(path)
            let t = d["type"] as? String
            if t == nil || t == "object" || t == "nested" {
                var obj = FieldMapping(type: .object)
                if let e = d["enabled"] { obj.enabled = boolValue(e) ?? true }
                if let dy = d["dynamic"] { obj.dynamic = dynamicValue(dy) }
                m.add(path, obj)
                if let sub = d["properties"] as? [String: Any] { try parseProperties(sub, prefix: path, into: &m) }
                continue
            }
            m.add(path, try parseField(d, name: path))
        }
    }

    /// Parses one leaf field definition.
    public static func parseField(_ d: [String: Any], name: String) throws -> FieldMapping {
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
        case let s as String: f.index = !(s == "no" || s == "false")   // "not_analyzed"/"analyzed" keep indexing
        case let v?: f.index = boolValue(v) ?? true
        default: break
        }
        if let dv = d["doc_values"] { f.docValues = boolValue(dv) ?? true }
        if let ia = d["ignore_above"] {
            guard let v = (ia as? Int) ?? Int("\(ia)"), v >= 0 else { throw EngineError.mapperParsing("[ignore_above] must be a positive number, got [\(EngineError.clip("\(ia)", max: 32))]") }
            f.ignoreAbove = v
        }
        if let a = d["analyzer"] as? String { f.analyzer = a }
        if let a = d["search_analyzer"] as? String { f.searchAnalyzer = a }
        if let n = d["normalizer"] as? String { f.normalizer = n }
        if let fm = d["format"] as? String { f.format = fm }
        if let nv = d["null_value"], !(nv is NSNull) {
            let v = "\(nv)" == "1" && type == .boolean ? "true" : "\(nv)"
            // Indexed as a term in place of every null: one Lucene could not hold is refused here.
            guard v.utf8.count <= Limits.maxKeywordTermBytes else {
                throw EngineError.mapperParsing("[null_value] of field [\(EngineError.clip(name, max: 64))] is \(v.utf8.count) bytes, more than the \(Limits.maxKeywordTermBytes) a term may have")
            }
            f.nullValue = v
        }
        if let sf = d["scaling_factor"] { f.scalingFactor = (sf as? Double) ?? Double("\(sf)") }
        if let fd = d["fielddata"] {
            guard type == .text else { throw EngineError.mapperParsing("unknown parameter [fielddata] on mapper [\(name)] of type [\(type.rawValue)]") }
            guard let v = boolValue(fd) else { throw EngineError.mapperParsing("[fielddata] must be true or false on field [\(name)]") }
            f.fielddata = v
        }
        if type == .scaledFloat && f.scalingFactor == nil { throw EngineError.mapperParsing("Field [scaling_factor] is required for field [\(name)]") }
        if let fmt = f.format, type.storage == .date, DateFormats.compile(fmt) == nil {
            throw EngineError.mapperParsing("Invalid format: [\(fmt)] for field [\(name)]")
        }
        if let subs = d["fields"] as? [String: Any] {
            for (s, sd) in subs {
                guard let sdd = sd as? [String: Any] else { continue }
                f.subFields[s] = try parseField(sdd, name: name + "." + s)
            }
        }
        return f
    }
}
