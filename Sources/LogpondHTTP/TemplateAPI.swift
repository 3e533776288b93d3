import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// `_template`, `_index_template`, `_component_template` and `_cat/templates`.
extension API {
    func templateRoute(_ kind: TemplateStore.Kind, name: String?, method: HTTPRequest.Method, body: () async throws -> [UInt8],
                       params: [String: String]) async throws -> Response {
        let ts = store.templates
        switch method {
        case .put, .post:
            guard let name else { throw ESError(405, "method_not_allowed", "a template name is required") }
            guard let json = try parseJSONBody(try await body()) as? [String: Any] else {
                throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: template body is missing;")
            }
            // Numbers a template carries are checked here, as Elasticsearch parses them (ints and longs).
            _ = try Param.int(json["order"], "order", min: Int(Int32.min), max: Int(Int32.max))
            _ = try Param.int(json["priority"], "priority", min: 0)
            _ = try Param.int(json["version"], "version", min: Int(Int32.min), max: Int(Int32.max))
            try ts.put(kind, name, json, create: params["create"] == "true")
            return ESResponse.json(.ok, [("acknowledged", true)] as [(String, Any)])
        case .delete:
            guard let name else { throw ESError(405, "method_not_allowed", "a template name is required") }
            try ts.delete(kind, name)
            return ESResponse.json(.ok, [("acknowledged", true)] as [(String, Any)])
        case .head:
            return ESResponse.json(ts.get(kind, name).isEmpty ? .notFound : .ok, [UInt8]())
        default:
            let found = ts.get(kind, name)
            if found.isEmpty, let name, !name.contains("*") {
                if kind == .legacy { return ESResponse.json(.notFound, [UInt8]("{}".utf8)) }
                throw EngineError.templateMissing(legacy: false, reason: "\(kind.rawValue) matching [\(name)] not found")
            }
            switch kind {
            case .legacy:
                return ESResponse.json(.ok, found.map { ($0.name, legacyView($0.body) as Any) })
            case .index:
                return ESResponse.json(.ok, [("index_templates", found.map { [("name", $0.name), ("index_template", composableView($0.body))] as [(String, Any)] })] as [(String, Any)])
            case .component:
                return ESResponse.json(.ok, [("component_templates", found.map { [("name", $0.name), ("component_template", composableView($0.body))] as [(String, Any)] })] as [(String, Any)])
            }
        }
    }

    /// A legacy template as Elasticsearch 7 shows it: typeless mappings, nested string settings.
    func legacyView(_ b: [String: Any]) -> [(String, Any)] {
        var out: [(String, Any)] = [("order", b["order"] ?? 0)]
        if let v = b["version"] { out.append(("version", v)) }
        out.append(("index_patterns", b["index_patterns"] ?? []))
        out.append(("settings", nestedSettings(b["settings"] as? [String: Any] ?? [:])))
        let m = (try? b["mappings"].map { try MappingJSON.parse($0) }) ?? nil
        out.append(("mappings", m.map { MappingJSON.toJSON($0) } ?? [String: Any]()))
        out.append(("aliases", b["aliases"] ?? [String: Any]()))
        return out
    }

    func composableView(_ b: [String: Any]) -> [String: Any] {
        var out = b
        if var t = b["template"] as? [String: Any] {
            if let s = t["settings"] as? [String: Any] { t["settings"] = nestedSettings(s) }
            if let m = t["mappings"], let parsed = try? MappingJSON.parse(m) { t["mappings"] = MappingJSON.toJSON(parsed) }
            out["template"] = t
        }
        return out
    }

    /// Settings as Elasticsearch prints them: nested objects under `index`, values as strings.
    func nestedSettings(_ s: [String: Any]) -> [String: Any] {
        var root: [String: Any] = [:]
        for (k, v) in TemplateStore.flatSettings(s) {
            let parts = k.split(separator: ".").map(String.init)
            func put(_ obj: inout [String: Any], _ p: ArraySlice<String>) {
                guard let first = p.first else { return }
                if p.count == 1 { obj[first] = (v as? [Any])?.map { Self.settingString($0) } ?? Self.settingString(v); return }
                var sub = obj[first] as? [String: Any] ?? [:]
                put(&sub, p.dropFirst())
                obj[first] = sub
            }
            put(&root, parts[...])
        }
        return root
    }

    /// A setting value as Elasticsearch prints it: a string, booleans as "true"/"false".
    static func settingString(_ v: Any) -> String {
        if let n = v as? NSNumber, String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
        return "\(v)"
    }

    func catTemplates(_ pattern: String?, params: [String: String]) throws -> Response {
        var rows: [[(String, Any)]] = []
        for t in store.templates.get(.legacy, pattern) {
            rows.append([("name", t.name), ("index_patterns", "[" + TemplatePatterns.of(t.body["index_patterns"]).joined(separator: ", ") + "]"),
                         ("order", "\(t.body["order"] ?? 0)"), ("version", t.body["version"].map { "\($0)" } ?? ""), ("composed_of", "")])
        }
        for t in store.templates.get(.index, pattern) {
            let composed = (t.body["composed_of"] as? [Any] ?? []).map { "\($0)" }
            rows.append([("name", t.name), ("index_patterns", "[" + TemplatePatterns.of(t.body["index_patterns"]).joined(separator: ", ") + "]"),
                         ("order", "\(t.body["priority"] ?? 0)"), ("version", t.body["version"].map { "\($0)" } ?? ""),
                         ("composed_of", "[" + composed.joined(separator: ", ") + "]")])
        }
        return try CatTable.render(rows, params: params, defaultColumns: ["name", "index_patterns", "order", "version", "composed_of"])
    }
}

enum TemplatePatterns {
    static func of(_ v: Any?) -> [String] { (v as? [Any])?.map { "\($0)" } ?? (v as? String).map { [$0] } ?? [] }
}
