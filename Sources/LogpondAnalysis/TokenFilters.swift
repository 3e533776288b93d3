import Foundation

/// A token as it moves through filters: its text, where it came from, and its position.
public struct AnalyzedToken: Sendable, Equatable {
    public var term: [UInt8]
    public var start: Int
    public var end: Int
    public var position: Int
    public var type: TokenType
    public var text: String { String(decoding: term, as: UTF8.self) }
}

/// Transforms or removes tokens; removed tokens leave their position behind, as in Lucene.
public protocol TokenFilter: Sendable {
    func apply(_ tokens: [AnalyzedToken]) -> [AnalyzedToken]
}

public struct LowercaseFilter: TokenFilter {
    public init() {}
    public func apply(_ tokens: [AnalyzedToken]) -> [AnalyzedToken] {
        tokens.map { t in var t = t; t.term = Array(t.text.lowercased().utf8); return t }
    }
}

public struct UppercaseFilter: TokenFilter {
    public init() {}
    public func apply(_ tokens: [AnalyzedToken]) -> [AnalyzedToken] {
        tokens.map { t in var t = t; t.term = Array(t.text.uppercased().utf8); return t }
    }
}

/// Folds letters with diacritics and common ligatures to ASCII (Lucene's ASCIIFoldingFilter
/// for the Latin ranges).
public struct ASCIIFoldingFilter: TokenFilter {
    public var preserveOriginal = false
    public init(preserveOriginal: Bool = false) { self.preserveOriginal = preserveOriginal }
    static let special: [Character: String] = ["ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
                                                "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D", "ı": "i"]
    public static func fold(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch.isASCII { out.append(ch); continue }
            if let r = special[ch] { out += r; continue }
            let f = String(ch).folding(options: [.diacriticInsensitive], locale: Locale(identifier: "en_US_POSIX"))
            out += f.unicodeScalars.allSatisfy({ $0.isASCII }) ? f : String(ch)
        }
        return out
    }
    public func apply(_ tokens: [AnalyzedToken]) -> [AnalyzedToken] {
        var out: [AnalyzedToken] = []
        for t in tokens {
            var f = t
            f.term = Array(Self.fold(t.text).utf8)
            out.append(f)
            if preserveOriginal && f.term != t.term { out.append(t) }
        }
        return out
    }
}

/// Removes stop words (Lucene's English list by default, `_english_`).
public struct StopFilter: TokenFilter {
    public static let english: [String] = ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
                                           "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
                                           "they", "this", "to", "was", "will", "with"]
    let words: Set<[UInt8]>
    let ignoreCase: Bool
    public init(words: [String] = StopFilter.english, ignoreCase: Bool = false) {
        self.ignoreCase = ignoreCase
        self.words = Set(words.map { Array((ignoreCase ? $0.lowercased() : $0).utf8) })
    }
    public func apply(_ tokens: [AnalyzedToken]) -> [AnalyzedToken] {
        tokens.filter { !words.contains(ignoreCase ? Array($0.text.lowercased().utf8) : $0.term) }
    }
}

/// Keeps tokens whose length in characters is within [min, max].
public struct LengthFilter: TokenFilter {
    let min: Int, max: Int
    public init(min: Int = 0, max: Int = Int(Int32.max)) { self.min = min; self.max = max }
    public func apply(_ tokens: [AnalyzedToken]) -> [AnalyzedToken] {
        tokens.filter { let n = $0.text.utf16.count; return n >= min && n <= max }
    }
}

/// Trims leading and trailing white space from each token.
public struct TrimFilter: TokenFilter {
    public init() {}
    public func apply(_ tokens: [AnalyzedToken]) -> [AnalyzedToken] {
        tokens.map { t in var t = t; t.term = Array(t.text.trimmingCharacters(in: .whitespacesAndNewlines).utf8); return t }
    }
}
