import Foundation

/// One entry of `dynamic_templates`: which new fields it applies to and the mapping they get.
public struct DynamicTemplate: @unchecked Sendable, Equatable {
    public var name: String
    public var match: [String] = []
    public var unmatch: [String] = []
    public var pathMatch: [String] = []
    public var pathUnmatch: [String] = []
    public var matchMappingType: [String] = []
    public var matchPattern = "simple"
    /// The `mapping` object as given (placeholders `{name}` and `{dynamic_type}` unresolved).
    public var mapping: [String: Any]
    /// The original JSON, returned by GET _mapping.
    public var raw: [String: Any]

    public static func == (a: DynamicTemplate, b: DynamicTemplate) -> Bool {
        a.name == b.name && NSDictionary(dictionary: a.raw).isEqual(to: b.raw)
    }

    /// Parses `{"name": {"match": …, "mapping": {…}}}`.
    public static func parse(_ entry: Any) throws -> DynamicTemplate {
        guard let o = entry as? [String: Any], o.count == 1, let (name, body) = o.first, let b = body as? [String: Any] else {
            throw EngineError.mapperParsing("a dynamic template must be an object with a single named entry")
        }
        guard let m = b["mapping"] as? [String: Any] else { throw EngineError.mapperParsing("dynamic template [\(name)] has no [mapping]") }
        func list(_ k: String) -> [String] { (b[k] as? [Any])?.compactMap { $0 as? String } ?? (b[k] as? String).map { [$0] } ?? [] }
        var t = DynamicTemplate(name: name, mapping: m, raw: o)
        t.match = list("match"); t.unmatch = list("unmatch"); t.pathMatch = list("path_match"); t.pathUnmatch = list("path_unmatch")
        t.matchMappingType = list("match_mapping_type"); t.matchPattern = b["match_pattern"] as? String ?? "simple"
        return t
    }

    /// Whether the template applies to a new field. `jsonType` is Elasticsearch's name for the
    /// detected type: string, long, double, boolean, date, object.
    public func matches(path: String, jsonType: String) -> Bool {
        let name = path.split(separator: ".").last.map(String.init) ?? path
        func any(_ patterns: [String], _ s: String) -> Bool { patterns.contains { pattern($0, s) } }
        if !matchMappingType.isEmpty && !matchMappingType.contains("*") && !matchMappingType.contains(jsonType) { return false }
        if !match.isEmpty && !any(match, name) { return false }
        if any(unmatch, name) { return false }
        if !pathMatch.isEmpty && !any(pathMatch, path) { return false }
        if any(pathUnmatch, path) { return false }
        return true
    }

    func pattern(_ p: String, _ s: String) -> Bool {
        if matchPattern == "regex" { return s.range(of: p, options: .regularExpression).map { $0 == s.startIndex..<s.endIndex } ?? false }
        return Store.wildcardMatch(p, s)
    }

    /// The mapping for `path`, placeholders resolved.
    public func resolvedMapping(path: String, jsonType: String) -> [String: Any] {
        let name = path.split(separator: ".").last.map(String.init) ?? path
        func sub(_ v: Any) -> Any {
            switch v {
            case let s as String: return s.replacingOccurrences(of: "{name}", with: name).replacingOccurrences(of: "{dynamic_type}", with: jsonType)
            case let d as [String: Any]: return d.mapValues(sub)
            case let a as [Any]: return a.map(sub)
            default: return v
            }
        }
        return mapping.mapValues(sub)
    }
}
