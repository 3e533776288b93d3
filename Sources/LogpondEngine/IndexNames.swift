/// Elasticsearch's index name rules.
public enum IndexNames {
    static let forbidden: Set<Character> = ["\\", "/", "*", "?", "\"", "<", ">", "|", ",", "#", ":", " "]

    /// Throws `invalidIndexName` with Elasticsearch's reason when `name` is not allowed.
    public static func validate(_ name: String) throws {
        if let r = problem(name, lowercase: true, what: "index") { throw EngineError.invalidIndexName(name: name, reason: r) }
    }

    /// Alias names follow the index rules but for case (Elasticsearch allows upper case).
    public static func validateAlias(_ name: String) throws {
        if let r = problem(name, lowercase: false, what: "alias") { throw EngineError.invalidAliasName(name: name, reason: r) }
    }

    /// Why `name` is not a valid index (or alias) name, in Elasticsearch's words; nil if it is.
    static func problem(_ name: String, lowercase: Bool, what: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if lowercase && name != name.lowercased() { return "must be lowercase" }
        if let c = name.first(where: { forbidden.contains($0) }) {
            return "must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?, #, :] (found '\(c)')"
        }
        // Control characters (NUL among them) cut names short in C strings and the catalog:
        // "bad\0x" and "bad" would be one index.
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "must not contain control characters" }
        if name.hasPrefix("-") || name.hasPrefix("_") || name.hasPrefix("+") { return "must not start with '_', '-', or '+'" }
        if name == "." || name == ".." { return "must not be '.' or '..'" }
        if name.utf8.count > Limits.maxIndexNameBytes { return "\(what) name is too long, (\(name.utf8.count) > \(Limits.maxIndexNameBytes))" }
        return nil
    }
}
