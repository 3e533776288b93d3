import Foundation

/// An index's mapping: every field by its dotted path (objects included), plus dynamic rules.
public struct Mapping: Sendable, Equatable {
    /// Dotted path → mapping, for leaves and objects alike.
    public private(set) var fields: [String: FieldMapping] = [:]
    /// `true`, `false` or `strict`, as Elasticsearch's `dynamic`.
    public var dynamic: String = "true"
    public var dateDetection = true
    public var numericDetection = false
    /// `dynamic_templates`, in order; the first that matches a new field decides its mapping.
    public var dynamicTemplates: [DynamicTemplate] = []
    /// `dynamic_date_formats` (Elasticsearch's default when empty).
    public var dynamicDateFormats: [String] = []

    public init() {}

    public var fieldCount: Int { fields.count + fields.values.reduce(0) { $0 + $1.subFields.count } }

    public subscript(path: String) -> FieldMapping? { fields[path] }

    /// Resolves a queryable path, including multi-fields such as `log.keyword`.
    public func resolve(_ path: String) -> FieldMapping? {
        if let f = fields[path] { return f }
        if let dot = path.lastIndex(of: ".") {
            let parent = String(path[..<dot])
            if let p = fields[parent], let sub = p.subFields[String(path[path.index(after: dot)...])] { return sub }
        }
        return nil
    }

    /// Every queryable leaf path (multi-fields included) with its mapping.
    public var leafPaths: [(String, FieldMapping)] {
        var out: [(String, FieldMapping)] = []
        for (p, f) in fields where f.type != .object {
            out.append((p, f))
            for (s, sf) in f.subFields { out.append((p + "." + s, sf)) }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Checks that adding `path` as `mapping` does not conflict with an existing leaf/object,
    /// returning Elasticsearch's reason when it does.
    public func conflict(adding path: String, as mapping: FieldMapping) -> String? {
        if let existing = fields[path] {
            if (existing.type == .object) != (mapping.type == .object) {
                return existing.type == .object
                    ? "object mapping for [\(path)] tried to parse field [\(path)] as object, but found a concrete value"
                    : "can't merge a non object mapping [\(path)] with an object mapping"
            }
            return nil
        }
        var idx = path.startIndex
        while let dot = path[idx...].firstIndex(of: ".") {
            let prefix = String(path[..<dot])
            if let p = fields[prefix], p.type != .object {
                return "Could not dynamically add mapping for field [\(path)]. Existing mapping for [\(prefix)] must be of type object but found [\(p.type.rawValue)]."
            }
            idx = path.index(after: dot)
        }
        return nil
    }

    /// Removes every field (used when a mapping is rebuilt from templates).
    public mutating func removeAll() { fields.removeAll() }

    /// Adds a field and the objects above it.
    public mutating func add(_ path: String, _ mapping: FieldMapping) {
        var idx = path.startIndex
        while let dot = path[idx...].firstIndex(of: ".") {
            let prefix = String(path[..<dot])
            if fields[prefix] == nil { fields[prefix] = FieldMapping(type: .object) }
            idx = path.index(after: dot)
        }
        fields[path] = mapping
    }

    /// The `dynamic` setting in force for a new field at `path`: the nearest object's, else the root's.
    public func dynamicSetting(for path: String) -> String {
        var p = Substring(path)
        while let dot = p.lastIndex(of: ".") {
            p = p[..<dot]
            if let d = fields[String(p)]?.dynamic { return d }
        }
        return dynamic
    }

    /// Whether `path` lies under an object with `enabled: false`.
    public func isDisabled(_ path: String) -> Bool {
        var p = Substring(path)
        if fields[path]?.enabled == false { return true }
        while let dot = p.lastIndex(of: ".") {
            p = p[..<dot]
            if fields[String(p)]?.enabled == false { return true }
        }
        return false
    }

    /// Lays a template's mapping over this one: its fields replace same-named ones (templates
    /// applied later win, as Elasticsearch merges them).
    public mutating func overlay(_ other: Mapping) throws {
        for (p, f) in other.fields.sorted(by: { $0.key < $1.key }) {
            if let existing = fields[p], (existing.type == .object) != (f.type == .object) {
                throw EngineError.illegalArgument("can't merge a non object mapping [\(p)] with an object mapping")
            }
            add(p, f)
        }
        if other.dynamic != "true" { dynamic = other.dynamic }
        if !other.dateDetection { dateDetection = false }
        if other.numericDetection { numericDetection = true }
        if !other.dynamicTemplates.isEmpty { dynamicTemplates = other.dynamicTemplates + dynamicTemplates.filter { t in !other.dynamicTemplates.contains { $0.name == t.name } } }
        if !other.dynamicDateFormats.isEmpty { dynamicDateFormats = other.dynamicDateFormats }
    }

    /// Merges another mapping in (PUT mapping / templates); a changed type is an error.
    public mutating func merge(_ other: Mapping) throws {
        for (p, f) in other.fields.sorted(by: { $0.key < $1.key }) {
            if let existing = fields[p], existing.type != f.type {
                throw EngineError.illegalArgument("mapper [\(p)] cannot be changed from type [\(existing.type.rawValue)] to [\(f.type.rawValue)]")
            }
            if let c = conflict(adding: p, as: f) { throw EngineError.illegalArgument(c) }
            var merged = f
            if let existing = fields[p] { merged.subFields = existing.subFields.merging(f.subFields) { $1 } }
            add(p, merged)
        }
        dynamic = other.dynamic
        dateDetection = other.dateDetection
        numericDetection = other.numericDetection
        if !other.dynamicTemplates.isEmpty { dynamicTemplates = other.dynamicTemplates }
        if !other.dynamicDateFormats.isEmpty { dynamicDateFormats = other.dynamicDateFormats }
    }
}
