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
        if name.hasPrefix("-") || name.hasPrefix("_") || name.hasPrefix("+") { throw bad("must not start with '_', '-', or '+'") }
        if name == "." || name == ".." { throw bad("must not be '.' or '..'") }
        if name.utf8.count > Limits.maxIndexNameBytes { throw bad("index name is too long, (\(name.utf8.count) > \(Limits.maxIndexNameBytes))") }
    }
}
