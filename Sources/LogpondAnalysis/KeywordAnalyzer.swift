/// The `keyword` analyzer: the whole input is one token.
public struct KeywordAnalyzer: Analyzer {
    public let name = "keyword"
    public init() {}
    public func analyze(_ text: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void) {
        emit(text, 0, 0, Int32(text.count))
    }
}

/// The `whitespace` analyzer: splits on ASCII/Unicode white space, no lowercasing.
public struct WhitespaceAnalyzer: Analyzer {
    public let name = "whitespace"
    public init() {}
    public func analyze(_ text: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void) {
        var pos: Int32 = 0
        var start = -1
        for i in 0...text.count {
            let ws = i == text.count || text[i] == 32 || (text[i] >= 9 && text[i] <= 13)
            if ws {
                if start >= 0 {
                    emit(UnsafeBufferPointer(rebasing: text[start..<i]), pos, Int32(start), Int32(i)); pos += 1; start = -1
                }
            } else if start < 0 { start = i }
        }
    }
}

/// Looks analyzers up by their Elasticsearch name.
public enum Analyzers {
    public static let standard = StandardAnalyzer()
    public static func named(_ name: String) -> Analyzer? {
        switch name {
        case "standard", "default": return standard
        case "keyword": return KeywordAnalyzer()
        case "whitespace": return WhitespaceAnalyzer()
        default: return nil
        }
    }
}
