import Foundation

/// Index templates: legacy (`_template`), composable (`_index_template`) and component
/// (`_component_template`), persisted in the catalog and applied when an index is created.
public final class TemplateStore: @unchecked Sendable {
    public enum Kind: String, Sendable { case legacy, index = "index_template", component = "component_template" }

    struct Entry { var name: String; var body: [String: Any]; var raw: String }

    private let catalog: Catalog
    private let lock = NSLock()
    private var entries: [Kind: [String: Entry]] = [.legacy: [:], .index: [:], .component: [:]]

    init(catalog: Catalog) throws {
        self.catalog = catalog
        for kind in [Kind.legacy, .index, .component] {
            for (name, body) in try catalog.templates(kind: kind.rawValue) {
                let obj = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
                entries[kind]![name] = Entry(name: name, body: obj, raw: body)
            }
        }
    }

    public func exists(_ kind: Kind, _ name: String) -> Bool { lock.withLock { entries[kind]![name] != nil } }

    /// Templates whose names match `pattern` (comma list, `*` wildcards; nil = all), sorted by name.
    public func get(_ kind: Kind, _ pattern: String?) -> [(name: String, body: [String: Any])] {
        lock.withLock {
            let all = entries[kind]!.values.sorted { $0.name < $1.name }
            guard let pattern, pattern != "*", pattern != "_all" else { return all.map { ($0.name, $0.body) } }
            let parts = pattern.split(separator: ",").map(String.init)
            return all.filter { e in parts.contains { Store.wildcardMatch($0, e.name) } }.map { ($0.name, $0.body) }
        }
    }

    /// Stores a template after checking it as Elasticsearch does.
    public func put(_ kind: Kind, _ name: String, _ body: [String: Any], create: Bool = false) throws {
        guard !name.isEmpty, !name.contains(" "), !name.contains(","), !name.contains("*") else {
            throw EngineError.invalidTemplateName(name)
        }
        try lock.withLock {
            if create && entries[kind]![name] != nil {
                throw EngineError.illegalArgument("\(kind == .legacy ? "index_template" : kind.rawValue) [\(name)] already exists")
            }
            var body = body
            switch kind {
            case .legacy:
                let patterns = Self.patterns(body["index_patterns"] ?? body["template"])
                guard !patterns.isEmpty else { throw EngineError.illegalArgument("Validation Failed: 1: index patterns are missing;") }
                body["index_patterns"] = patterns
                body["template"] = nil
                if let m = body["mappings"] { _ = try MappingJSON.parse(m) }
            case .index:
                let patterns = Self.patterns(body["index_patterns"])
                guard !patterns.isEmpty else { throw EngineError.illegalArgument("Validation Failed: 1: index patterns are missing;") }
                let priority = Self.int(body["priority"]) ?? 0
                for other in entries[.index]!.values where other.name != name && (Self.int(other.body["priority"]) ?? 0) == priority {
                    let op = Self.patterns(other.body["index_patterns"])
                    if patterns.contains(where: { p in op.contains { Self.globsOverlap(p, $0) } }) {
                        throw EngineError.illegalArgument("index template [\(name)] has index patterns \(Self.list(patterns)) matching patterns from existing templates [\(other.name)] with patterns (\(other.name) => \(Self.list(op))) that have the same priority [\(priority)], multiple index templates may not match during index creation, please use a different priority")
                    }
                }
                let missing = (body["composed_of"] as? [Any] ?? []).compactMap { $0 as? String }.filter { entries[.component]![$0] == nil }
                if !missing.isEmpty {
                    throw EngineError.illegalArgument("index template [\(name)] specifies component templates \(Self.list(missing)) that do not exist")
                }
                if let t = body["template"] as? [String: Any], let m = t["mappings"] { _ = try MappingJSON.parse(m) }
            case .component:
                guard let t = body["template"] as? [String: Any] else { throw EngineError.illegalArgument("Validation Failed: 1: template is missing;") }
                if let m = t["mappings"] { _ = try MappingJSON.parse(m) }
            }
            let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            let raw = String(decoding: data, as: UTF8.self)
            try catalog.putTemplate(kind: kind.rawValue, name: name, body: raw)
            entries[kind]![name] = Entry(name: name, body: body, raw: raw)
        }
    }

    /// Deletes templates matching `pattern`; throws when none matched a concrete name.
    public func delete(_ kind: Kind, _ pattern: String) throws {
        try lock.withLock {
            let parts = pattern.split(separator: ",").map(String.init)
            let names = entries[kind]!.keys.filter { n in parts.contains { Store.wildcardMatch($0, n) } }
            if names.isEmpty { throw EngineError.templateMissing(legacy: kind == .legacy, reason: kind == .legacy ? "index_template [\(pattern)] missing" : "\(kind.rawValue) matching [\(pattern)] not found") }
            if kind == .component {
                for n in names {
                    let users = entries[.index]!.values.filter { ($0.body["composed_of"] as? [Any] ?? []).contains { ($0 as? String) == n } }.map { $0.name }
                    if !users.isEmpty {
                        throw EngineError.illegalArgument("component templates [\(n)] cannot be removed as they are still in use by index templates \(Self.list(users.sorted()))")
                    }
                }
            }
            for n in names {
                _ = try catalog.deleteTemplate(kind: kind.rawValue, name: n)
                entries[kind]![n] = nil
            }
        }
    }

    /// The mapping and settings a new index gets: the highest-priority composable template
    /// (with its components) when one matches, otherwise every matching legacy template merged
    /// by ascending `order`.
    public func resolve(index: String) throws -> (mapping: Mapping, settings: [String: Any], templates: [String], aliases: [String: Any]) {
        try lock.withLock {
            let composable = entries[.index]!.values
                .filter { Self.patterns($0.body["index_patterns"]).contains { Store.wildcardMatch($0, index) } }
                .sorted { (Self.int($0.body["priority"]) ?? 0, $1.name) > (Self.int($1.body["priority"]) ?? 0, $0.name) }
            var mapping = Mapping()
            var settings: [String: Any] = [:]
            if let t = composable.first {
                var parts: [[String: Any]] = []
                for c in (t.body["composed_of"] as? [Any] ?? []).compactMap({ $0 as? String }) {
                    if let ct = entries[.component]![c]?.body["template"] as? [String: Any] { parts.append(ct) }
                }
                if let own = t.body["template"] as? [String: Any] { parts.append(own) }
                var aliases: [String: Any] = [:]
                for p in parts {
                    if let m = p["mappings"] { try mapping.overlay(MappingJSON.parse(m)) }
                    if let s = p["settings"] as? [String: Any] { settings.merge(Self.flatSettings(s)) { $1 } }
                    if let a = p["aliases"] as? [String: Any] { aliases.merge(a) { $1 } }
                }
                return (mapping, settings, [t.name], aliases)
            }
            let legacy = entries[.legacy]!.values
                .filter { Self.patterns($0.body["index_patterns"]).contains { Store.wildcardMatch($0, index) } }
                .sorted { (Self.int($0.body["order"]) ?? 0, $0.name) < (Self.int($1.body["order"]) ?? 0, $1.name) }
            var aliases: [String: Any] = [:]
            for t in legacy {
                if let m = t.body["mappings"] { try mapping.overlay(MappingJSON.parse(m)) }
                if let s = t.body["settings"] as? [String: Any] { settings.merge(Self.flatSettings(s)) { $1 } }
                if let a = t.body["aliases"] as? [String: Any] { aliases.merge(a) { $1 } }
            }
            return (mapping, settings, legacy.map { $0.name }, aliases)
        }
    }

    // MARK: helpers

    static func patterns(_ v: Any?) -> [String] {
        if let s = v as? String { return s.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        return (v as? [Any])?.compactMap { $0 as? String } ?? []
    }

    static func int(_ v: Any?) -> Int? {
        if let n = v as? NSNumber { return n.intValue }
        if let s = v as? String { return Int(s) }
        return nil
    }

    static func list(_ a: [String]) -> String { "[" + a.joined(separator: ", ") + "]" }

    /// Settings as flat `index.*` keys, the form Elasticsearch stores.
    public static func flatSettings(_ s: [String: Any]) -> [String: Any] {
        var out: [String: Any] = [:]
        func walk(_ v: Any, _ prefix: String) {
            if let d = v as? [String: Any] {
                for (k, x) in d { walk(x, prefix.isEmpty ? k : prefix + "." + k) }
            } else if !prefix.isEmpty {
                out[prefix.hasPrefix("index.") ? prefix : "index." + prefix] = v
            }
        }
        walk(s, "")
        return out
    }

    /// Whether two `*` patterns can match a common name.
    static func globsOverlap(_ a: String, _ b: String) -> Bool {
        let p = Array(a.utf8), q = Array(b.utf8)
        var memo: [Int: Bool] = [:]
        func go(_ i: Int, _ j: Int) -> Bool {
            let key = i * (q.count + 1) + j
            if let m = memo[key] { return m }
            var r = false
            if i == p.count && j == q.count { r = true }
            else if i < p.count && p[i] == UInt8(ascii: "*") { r = go(i + 1, j) || (j < q.count && go(i, j + 1)) }
            else if j < q.count && q[j] == UInt8(ascii: "*") { r = go(i, j + 1) || (i < p.count && go(i + 1, j)) }
            else if i < p.count && j < q.count && p[i] == q[j] { r = go(i + 1, j + 1) }
            memo[key] = r
            return r
        }
        return go(0, 0)
    }
}
