/// Elasticsearch's index name rules.
public enum IndexNames {
    static let forbidden: Set<Character> = ["\\", "/", "*", "?", "\"", "<", ">", "|", ",", "#", ":", " "]

    /// Throws `invalidIndexName` with Elasticsearch's reason when `name` is not allowed.
    public static func validate(_ name: String) throws {
        func bad(_ r: String) -> EngineError { .invalidIndexName(name: name, reason: r) }
        if name.isEmpty { throw bad("must not be empty") }
        if name != name.lowercased() { throw bad("must be lowercase") }
        if let c = name.first(where: { forbidden.contains($0) }) {
            throw bad("must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?, #, :] (found '\(c)')")
        }
        // Control characters (NUL among them) cut names short in C strings and the catalog:
        // "bad\0x" and "bad" would be one index.
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { throw bad("must not contain control characters") }
        if name.hasPrefix("-") || name.hasPrefix("_") || name.hasPrefix("+") { throw bad("must not start with '_', '-', or '+'") }
        if name == "." || name == ".." { throw bad("must not be '.' or '..'") }
        if name.utf8.count > Limits.maxIndexNameBytes { throw bad("index name is too long, (\(name.utf8.count) > \(Limits.maxIndexNameBytes))") }
    }

    /// Alias names follow the index rules but for case (Elasticsearch allows upper case).
    public static func validateAlias(_ name: String) throws {
        func bad(_ r: String) -> EngineError { .invalidAliasName(name: name, reason: r) }
        if name.isEmpty { throw bad("must not be empty") }
        if let c = name.first(where: { forbidden.contains($0) }) {
            throw bad("must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?, #, :] (found '\(c)')")
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { throw bad("must not contain control characters") }
        if name.hasPrefix("-") || name.hasPrefix("_") || name.hasPrefix("+") { throw bad("must not start with '_', '-', or '+'") }
        if name == "." || name == ".." { throw bad("must not be '.' or '..'") }
        if name.utf8.count > Limits.maxIndexNameBytes { throw bad("alias name is too long, (\(name.utf8.count) > \(Limits.maxIndexNameBytes))") }
    }
}
