import Foundation

/// What went wrong building an analyzer from settings or a request.
public struct AnalysisError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Elasticsearch's largest `max_token_length` (1 MB: a token is an indexed term, and terms
/// over 32 KB are refused anyway).
let maxTokenLengthLimit = 1024 * 1024

/// An integer analysis setting in `min...max` (or `def` when absent), refused otherwise: a
/// token length of 0 never advanced and -1 trapped.
func intSetting(_ d: [String: Any], _ key: String, _ def: Int, min: Int, max: Int) throws -> Int {
    guard let v = d[key], !(v is NSNull) else { return def }
    let x: Double?
    switch v {
    case let n as NSNumber: x = n.doubleValue
    case let s as String: x = Double(s)
    default: x = nil
    }
    guard let x, x.isFinite, x.rounded(.towardZero) >= Double(min), x.rounded(.towardZero) <= Double(max) else {
        throw AnalysisError("[\(key)] must be a number between \(min) and \(max)")
    }
    return Int(x.rounded(.towardZero))
}

/// An index's analyzers and normalizers: the built-in ones plus those its settings define under
/// `analysis.{analyzer,tokenizer,filter,normalizer}`.
public final class AnalysisRegistry: @unchecked Sendable {
    private var analyzers: [String: Analyzer] = [:]
    private var normalizers: [String: [TokenFilter]] = [:]
    private let tokenizerDefs: [String: Any]
    private let filterDefs: [String: Any]

    /// The registry with built-ins only.
    public static let builtIn = try! AnalysisRegistry(settings: [:])

    /// `settings` is the index settings object (`{"index": {"analysis": …}}`, `{"analysis": …}`
    /// or flat `index.analysis.*` keys are all accepted).
    public init(settings: [String: Any]) throws {
        let analysis = Self.analysisSection(settings)
        tokenizerDefs = analysis["tokenizer"] as? [String: Any] ?? [:]
        filterDefs = analysis["filter"] as? [String: Any] ?? [:]
        for (name, def) in analysis["analyzer"] as? [String: Any] ?? [:] {
            guard let d = def as? [String: Any] else { throw AnalysisError("analyzer [\(name)] must be an object") }
            analyzers[name] = try buildAnalyzer(name, d)
        }
        for (name, def) in analysis["normalizer"] as? [String: Any] ?? [:] {
            guard let d = def as? [String: Any] else { throw AnalysisError("normalizer [\(name)] must be an object") }
            normalizers[name] = try (d["filter"] as? [Any] ?? []).map { try filter($0) }
        }
    }

    static func analysisSection(_ settings: [String: Any]) -> [String: Any] {
        if let i = settings["index"] as? [String: Any], let a = i["analysis"] as? [String: Any] { return a }
        if let a = settings["analysis"] as? [String: Any] { return a }
        // Flat keys: index.analysis.analyzer.x.tokenizer = …
        var out: [String: Any] = [:]
        for (k, v) in settings {
            var key = k
            if key.hasPrefix("index.") { key.removeFirst(6) }
            guard key.hasPrefix("analysis.") else { continue }
            let parts = key.dropFirst(9).split(separator: ".").map(String.init)
            guard parts.count == 3 else { continue }
            var section = out[parts[0]] as? [String: Any] ?? [:]
            var item = section[parts[1]] as? [String: Any] ?? [:]
            item[parts[2]] = v
            section[parts[1]] = item
            out[parts[0]] = section
        }
        return out
    }

    /// An analyzer by name: index-defined first, then built-in.
    public func analyzer(_ name: String) -> Analyzer? { analyzers[name] ?? Analyzers.named(name) }

    public func hasNormalizer(_ name: String) -> Bool { normalizers[name] != nil || name == "lowercase" }

    /// Applies a normalizer (keyword fields) to a whole value.
    public func normalize(_ value: String, with name: String) -> String {
        let filters = normalizers[name] ?? (name == "lowercase" ? [LowercaseFilter()] : [])
        var toks = [AnalyzedToken(term: Array(value.utf8), start: 0, end: value.utf8.count, position: 0, type: .word)]
        for f in filters { toks = f.apply(toks) }
        return toks.first?.text ?? ""
    }

    func buildAnalyzer(_ name: String, _ d: [String: Any]) throws -> Analyzer {
        let type = d["type"] as? String ?? "custom"
        switch type {
        case "custom":
            guard let tk = d["tokenizer"] else { throw AnalysisError("analyzer [\(name)] must specify either an analyzer type, or a tokenizer") }
            let filters = try (d["filter"] as? [Any] ?? (d["filter"] as? String).map { [$0] } ?? []).map { try filter($0) }
            return ChainAnalyzer(name: name, tokenizer: try tokenizer(tk), filters: filters)
        case "standard":
            let max = try intSetting(d, "max_token_length", 255, min: 1, max: maxTokenLengthLimit)
            let stop = try stopwords(d["stopwords"]) ?? []
            return StandardAnalyzer(maxTokenLength: max, stopwords: Set(stop.map { Array($0.utf8) }))
        case "stop":
            return ChainAnalyzer(name: name, tokenizer: LetterTokenizer(), filters: [LowercaseFilter(), StopFilter(words: try stopwords(d["stopwords"]) ?? StopFilter.english)])
        case "pattern":
            let lower = d["lowercase"] as? Bool ?? true
            return ChainAnalyzer(name: name, tokenizer: try patternTokenizer(d), filters: (lower ? [LowercaseFilter()] : []) + [StopFilter(words: try stopwords(d["stopwords"]) ?? [])])
        default:
            guard let a = Analyzers.named(type) else { throw AnalysisError("Unknown analyzer type [\(type)] for [\(name)]") }
            return a
        }
    }

    func stopwords(_ v: Any?) throws -> [String]? {
        switch v {
        case nil: return nil
        case let s as String:
            if s == "_english_" { return StopFilter.english }
            if s == "_none_" { return [] }
            throw AnalysisError("stopwords [\(s)] are not supported; use _english_, _none_ or a list")
        case let a as [Any]: return a.compactMap { $0 as? String }
        default: throw AnalysisError("stopwords must be a string or a list")
        }
    }

    /// A tokenizer by name, index-defined name, or inline definition.
    public func tokenizer(_ spec: Any) throws -> Tokenizer {
        if let name = spec as? String {
            switch name {
            case "standard": return StandardTokenizer()
            case "whitespace": return WhitespaceTokenizer()
            case "keyword": return KeywordTokenizer()
            case "letter": return LetterTokenizer()
            case "pattern": return try PatternTokenizer()
            default:
                guard let def = tokenizerDefs[name] as? [String: Any] else { throw AnalysisError("failed to find tokenizer under [\(name)]") }
                return try tokenizer(def)
            }
        }
        guard let d = spec as? [String: Any], let type = d["type"] as? String else { throw AnalysisError("tokenizer must be a name or an object with a type") }
        switch type {
        case "standard": return StandardTokenizer(maxTokenLength: try intSetting(d, "max_token_length", 255, min: 1, max: maxTokenLengthLimit))
        case "pattern": return try patternTokenizer(d)
        case "whitespace", "keyword", "letter": return try tokenizer(type)
        default: throw AnalysisError("Unknown tokenizer type [\(type)]")
        }
    }

    func patternTokenizer(_ d: [String: Any]) throws -> Tokenizer {
        do {
            return try PatternTokenizer(pattern: d["pattern"] as? String ?? "\\W+", group: try intSetting(d, "group", -1, min: -1, max: 1000),
                                        caseInsensitive: (d["flags"] as? String)?.contains("CASE_INSENSITIVE") ?? false)
        } catch { throw AnalysisError("invalid pattern [\(d["pattern"] ?? "")]") }
    }

    /// A token filter by name, index-defined name, or inline definition.
    public func filter(_ spec: Any) throws -> TokenFilter {
        if let name = spec as? String {
            switch name {
            case "lowercase": return LowercaseFilter()
            case "uppercase": return UppercaseFilter()
            case "asciifolding": return ASCIIFoldingFilter()
            case "stop": return StopFilter()
            case "length": return LengthFilter()
            case "trim": return TrimFilter()
            default:
                guard let def = filterDefs[name] as? [String: Any] else { throw AnalysisError("failed to find filter under [\(name)]") }
                return try filter(def)
            }
        }
        guard let d = spec as? [String: Any], let type = d["type"] as? String else { throw AnalysisError("filter must be a name or an object with a type") }
        switch type {
        case "lowercase", "uppercase", "trim": return try filter(type)
        case "asciifolding": return ASCIIFoldingFilter(preserveOriginal: d["preserve_original"] as? Bool ?? false)
        case "stop": return StopFilter(words: try stopwords(d["stopwords"]) ?? StopFilter.english, ignoreCase: d["ignore_case"] as? Bool ?? false)
        case "length":
            let lo = try intSetting(d, "min", 0, min: 0, max: Int(Int32.max)), hi = try intSetting(d, "max", Int(Int32.max), min: 0, max: Int(Int32.max))
            guard lo <= hi else { throw AnalysisError("[min] of the length filter must not be greater than [max]") }
            return LengthFilter(min: lo, max: hi)
        default: throw AnalysisError("Unknown filter type [\(type)]")
        }
    }
}
