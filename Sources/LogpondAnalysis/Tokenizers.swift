import Foundation

/// The token type Elasticsearch reports in `_analyze` output.
public enum TokenType: String, Sendable {
    case alphanum = "<ALPHANUM>", num = "<NUM>", ideographic = "<IDEOGRAPHIC>", hiragana = "<HIRAGANA>"
    case katakana = "<KATAKANA>", hangul = "<HANGUL>", word = "word"
}

/// Splits text into token spans (byte ranges of the input).
public protocol Tokenizer: Sendable {
    func tokenize(_ text: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>, TokenType) -> Void)
}

/// Word boundaries after Unicode UAX #29 for the cases logs meet: letters and digits joined
/// across the mid-word punctuation the standard allows (`dog's`, `127.0.0.1`, `1,000`, `v1.2`),
/// ideographs and kana one per token, Hangul syllables in runs; tokens longer than
/// `maxTokenLength` bytes split at that length.
public struct StandardTokenizer: Tokenizer {
    public var maxTokenLength: Int
    public init(maxTokenLength: Int = 255) { self.maxTokenLength = maxTokenLength }

    enum Cls: UInt8 { case letter, digit, ideo, hira, kata, hangul, midLetter, midNum, midNumLet, extend, other }

    /// ASCII classes by byte, so the common case is one load. A raw pointer made once: reading
    /// a static array per byte went through its lazy initialiser's check and a retain each time.
    static let ascii: UnsafePointer<Cls> = {
        let p = UnsafeMutablePointer<Cls>.allocate(capacity: 128)
        for b in 0..<128 {
            switch UInt8(b) {
            case 0x30...0x39: p[b] = .digit
            case 0x41...0x5A, 0x61...0x7A: p[b] = .letter
            case 0x5F: p[b] = .extend                   // ExtendNumLet joins on both sides
            case 0x27, 0x2E: p[b] = .midNumLet          // ' .
            case 0x3A: p[b] = .midLetter                // :
            case 0x2C, 0x3B: p[b] = .midNum             // , ;
            default: p[b] = .other
            }
        }
        return UnsafePointer(p)
    }()

    @inline(__always) static func classify(_ t: UnsafeBufferPointer<UInt8>, _ i: Int, _ table: UnsafePointer<Cls>) -> (Cls, Int) {
        let b = t[i]
        if b < 0x80 { return (table[Int(b)], 1) }
        return classifyScalar(t, i)
    }

    @inline(never) static func classifyScalar(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Cls, Int) {
        let (s, len) = decodeScalar(t, i)
        guard let s else { return (.other, 1) }
        let v = s.value
        if (0x3040...0x309F).contains(v) { return (.hira, len) }
        if (0x30A0...0x30FF).contains(v) || (0x31F0...0x31FF).contains(v) { return (.kata, len) }
        if (0xAC00...0xD7AF).contains(v) || (0x1100...0x11FF).contains(v) || (0x3130...0x318F).contains(v) { return (.hangul, len) }
        if (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2FFFF).contains(v) || (0xF900...0xFAFF).contains(v) { return (.ideo, len) }
        if v == 0x2019 { return (.midNumLet, len) }          // right single quotation mark
        let p = s.properties
        if p.numericType == .decimal { return (.digit, len) }
        if p.isAlphabetic { return (.letter, len) }
        if p.generalCategory == .nonspacingMark || p.generalCategory == .spacingMark || p.generalCategory == .enclosingMark { return (.extend, len) }
        return (.other, len)
    }

    public func tokenize(_ t: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>, TokenType) -> Void) {
        let n = t.count
        let table = Self.ascii
        var i = 0
        func out(_ s: Int, _ e: Int, _ type: TokenType) {
            var a = s
            while a < e {
                var b = min(e, a + maxTokenLength)
                while b < e && b > a && t[b] & 0xC0 == 0x80 { b -= 1 }   // never split a scalar
                if b == a {
                    // A scalar longer than the limit: emit it whole, so every step advances.
                    b = a + 1
                    while b < e && t[b] & 0xC0 == 0x80 { b += 1 }
                }
                emit(a..<b, type)
                a = b
            }
        }
        while i < n {
            let (c, len) = Self.classify(t, i, table)
            switch c {
            case .ideo: out(i, i + len, .ideographic); i += len; continue
            case .hira: out(i, i + len, .hiragana); i += len; continue
            case .kata:
                var j = i + len
                while j < n, case (.kata, let l) = Self.classify(t, j, table) { j += l }
                out(i, j, .katakana); i = j; continue
            case .hangul:
                var j = i + len
                while j < n, case (.hangul, let l) = Self.classify(t, j, table) { j += l }
                out(i, j, .hangul); i = j; continue
            case .letter, .digit, .extend: break
            default: i += len; continue
            }
            // A word: letters/digits/underscores with mid-word punctuation between them.
            let start = i
            var hasLetter = false
            var last: Cls = c == .extend ? .letter : c
            var j = i
            word: while j < n {
                let (cj, lj) = Self.classify(t, j, table)
                switch cj {
                case .letter: hasLetter = true; last = .letter; j += lj
                case .digit: last = .digit; j += lj
                case .extend: j += lj
                case .midLetter, .midNum, .midNumLet:
                    guard j + lj < n else { break word }
                    let next = Self.classify(t, j + lj, table).0
                    let joins: Bool
                    switch cj {
                    case .midLetter: joins = last == .letter && next == .letter
                    case .midNum: joins = last == .digit && next == .digit
                    default: joins = (last == .letter && next == .letter) || (last == .digit && next == .digit)
                    }
                    if joins { j += lj } else { break word }
                default: break word
                }
            }
            out(start, j, hasLetter ? .alphanum : .num)
            i = j
        }
    }
}

/// Splits on white space.
public struct WhitespaceTokenizer: Tokenizer {
    public init() {}
    public func tokenize(_ t: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>, TokenType) -> Void) {
        var start = -1
        var i = 0
        while i <= t.count {
            var ws = true
            var len = 1
            if i < t.count {
                let b = t[i]
                if b < 0x80 { ws = b == 32 || (b >= 9 && b <= 13) }
                else { let (s, l) = decodeScalar(t, i); len = l; ws = s?.properties.isWhitespace ?? false }
            }
            if ws { if start >= 0 { emit(start..<i, .word); start = -1 } }
            else if start < 0 { start = i }
            i += len
        }
    }
}

/// Runs of letters (Lucene's LetterTokenizer): everything else separates.
public struct LetterTokenizer: Tokenizer {
    public init() {}
    public func tokenize(_ t: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>, TokenType) -> Void) {
        var start = -1
        var i = 0
        while i <= t.count {
            var letter = false
            var len = 1
            if i < t.count {
                let b = t[i]
                if b < 0x80 { letter = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
                else { let (s, l) = decodeScalar(t, i); len = l; letter = s?.properties.isAlphabetic ?? false }
            }
            if !letter { if start >= 0 { emit(start..<i, .word); start = -1 } }
            else if start < 0 { start = i }
            i += len
        }
    }
}

/// The whole input as one token.
public struct KeywordTokenizer: Tokenizer {
    public init() {}
    public func tokenize(_ t: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>, TokenType) -> Void) {
        if t.count > 0 { emit(0..<t.count, .word) }
    }
}

/// Splits at matches of a regular expression (default `\W+`), or emits a capture group.
public struct PatternTokenizer: Tokenizer, @unchecked Sendable {
    let regex: NSRegularExpression
    let group: Int
    public init(pattern: String = "\\W+", group: Int = -1, caseInsensitive: Bool = false) throws {
        regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        self.group = group
    }
    /// Time one text may spend in the regular expression: ICU backtracks, and `(a+)+b` over
    /// 40 characters took 11 seconds. Past it the rest of the text becomes one token.
    public static let budgetNanos: UInt64 = 200_000_000

    public func tokenize(_ t: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>, TokenType) -> Void) {
        let s = String(decoding: t, as: UTF8.self)
        // UTF-16 offset (what NSRegularExpression reports) → UTF-8 offset, in one pass.
        var utf8At: [Int] = []
        utf8At.reserveCapacity(t.count + 1)
        var u8 = 0
        for scalar in s.unicodeScalars {
            let w = UTF16.width(scalar)
            for _ in 0..<w { utf8At.append(u8) }
            u8 += UTF8.width(scalar)
        }
        utf8At.append(u8)
        let length = utf8At.count - 1
        func bytes(_ r: NSRange) -> Range<Int> { utf8At[r.location]..<utf8At[r.location + r.length] }
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.budgetNanos
        var pos = 0
        var expired = false
        // The matches are gathered first (the callback may not capture `emit`).
        var found: [NSRange] = []
        let group = self.group
        regex.enumerateMatches(in: s, options: [.reportProgress], range: NSRange(location: 0, length: length)) { m, _, stop in
            if DispatchTime.now().uptimeNanoseconds > deadline { expired = true; stop.pointee = true; return }
            guard let m else { return }
            if group >= 0 {
                let r = m.numberOfRanges > group ? m.range(at: group) : NSRange(location: NSNotFound, length: 0)
                found.append(r.location != NSNotFound && r.length > 0 ? r : NSRange(location: NSNotFound, length: 0))
            } else {
                found.append(m.range)
            }
            if found.count > 1_000_000 { expired = true; stop.pointee = true }
        }
        for r in found {
            if group >= 0 {
                if r.location != NSNotFound { emit(bytes(r), .word); pos = r.location + r.length }
                continue
            }
            if r.location > pos { emit(bytes(NSRange(location: pos, length: r.location - pos)), .word) }
            pos = max(pos, r.location + r.length)
        }
        if (group < 0 || expired) && pos < length { emit(bytes(NSRange(location: pos, length: length - pos)), .word) }
    }
}
