/// One token produced by an analyzer: its bytes (UTF-8) and its position in the field.
public struct Token: Equatable, Sendable {
    public var term: [UInt8]
    public var position: Int32
    public var startOffset: Int32
    public var endOffset: Int32
    public init(term: [UInt8], position: Int32, startOffset: Int32, endOffset: Int32) {
        self.term = term; self.position = position; self.startOffset = startOffset; self.endOffset = endOffset
    }
    public var text: String { String(decoding: term, as: UTF8.self) }
}

/// Turns text into tokens. Implementations are value types and thread-safe.
public protocol Analyzer: Sendable {
    var name: String { get }
    /// Calls `emit(term, position, startByte, endByte)` for every token of `text`, in order.
    func analyze(_ text: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void)
    /// Tokens with their types, for `_analyze`.
    func detailed(_ text: String) -> [AnalyzedToken]
}

extension Analyzer {
    /// Convenience for tests and small inputs.
    public func tokens(_ text: String) -> [Token] {
        var out: [Token] = []
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buf in
            analyze(buf) { t, pos, s, e in out.append(Token(term: Array(t), position: pos, startOffset: s, endOffset: e)) }
        }
        return out
    }

    public func detailed(_ text: String) -> [AnalyzedToken] {
        tokens(text).map { AnalyzedToken(term: $0.term, start: Int($0.startOffset), end: Int($0.endOffset), position: Int($0.position), type: .word) }
    }
}

extension StandardAnalyzer {
    public func detailed(_ text: String) -> [AnalyzedToken] {
        ChainAnalyzer(name: name, tokenizer: tokenizer, filters: [LowercaseFilter()] + (stopwords.isEmpty ? [] : [StopFilter(words: stopwords.map { String(decoding: $0, as: UTF8.self) })]))
            .detailed(text)
    }
}

/// A tokenizer followed by token filters: the `custom` analyzer and most built-in ones.
public struct ChainAnalyzer: Analyzer {
    public let name: String
    public let tokenizer: Tokenizer
    public let filters: [TokenFilter]
    public init(name: String, tokenizer: Tokenizer, filters: [TokenFilter]) { self.name = name; self.tokenizer = tokenizer; self.filters = filters }

    public func detailed(_ text: String) -> [AnalyzedToken] {
        var toks: [AnalyzedToken] = []
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buf in
            var pos = 0
            tokenizer.tokenize(buf) { r, type in
                toks.append(AnalyzedToken(term: Array(buf[r]), start: r.lowerBound, end: r.upperBound, position: pos, type: type))
                pos += 1
            }
        }
        for f in filters { toks = f.apply(toks) }
        return toks.filter { !$0.term.isEmpty }
    }

    public func analyze(_ text: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void) {
        for t in detailed(String(decoding: text, as: UTF8.self)) {
            t.term.withUnsafeBufferPointer { emit($0, Int32(t.position), Int32(t.start), Int32(t.end)) }
        }
    }
}

/// The `keyword` analyzer: the whole input is one token.
public struct KeywordAnalyzer: Analyzer {
    public let name = "keyword"
    public init() {}
    public func analyze(_ text: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void) {
        if text.count > 0 { emit(text, 0, 0, Int32(text.count)) }
    }
}

/// The `whitespace` analyzer.
public struct WhitespaceAnalyzer: Analyzer {
    public let name = "whitespace"
    public init() {}
    public func analyze(_ text: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void) {
        var pos: Int32 = 0
        WhitespaceTokenizer().tokenize(text) { r, _ in
            emit(UnsafeBufferPointer(rebasing: text[r]), pos, Int32(r.lowerBound), Int32(r.upperBound)); pos += 1
        }
    }
}

/// Built-in analyzers by their Elasticsearch name.
public enum Analyzers {
    public static let standard = StandardAnalyzer()
    public static func named(_ name: String) -> Analyzer? {
        switch name {
        case "standard", "default": return standard
        case "keyword": return KeywordAnalyzer()
        case "whitespace": return WhitespaceAnalyzer()
        case "simple": return ChainAnalyzer(name: "simple", tokenizer: LetterTokenizer(), filters: [LowercaseFilter()])
        case "stop": return ChainAnalyzer(name: "stop", tokenizer: LetterTokenizer(), filters: [LowercaseFilter(), StopFilter()])
        case "pattern": return (try? PatternTokenizer()).map { ChainAnalyzer(name: "pattern", tokenizer: $0, filters: [LowercaseFilter()]) }
        default: return nil
        }
    }
}
