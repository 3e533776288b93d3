/// The `standard` analyzer: word tokens (letters, digits and the connectors UAX #29 keeps inside
/// words), lowercased, at most `maxTokenLength` bytes each. ASCII runs take a fast path; other
/// scalars are classified with Unicode properties.
public struct StandardAnalyzer: Analyzer {
    public let name = "standard"
    public let maxTokenLength: Int
    public init(maxTokenLength: Int = 255) { self.maxTokenLength = maxTokenLength }

    // ASCII class table: 1 = alphanumeric, 2 = mid-letter/mid-number connector ('.', '\'', ':', ','), 0 = break.
    static let asciiClass: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 128)
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(c)] = 1 }
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(c)] = 1 }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(c)] = 1 }
        t[Int(UInt8(ascii: "_"))] = 1   // ExtendNumLet joins words in UAX #29
        t[Int(UInt8(ascii: "."))] = 2
        t[Int(UInt8(ascii: "'"))] = 2
        t[Int(UInt8(ascii: ":"))] = 2
        t[Int(UInt8(ascii: ","))] = 3   // MidNum only: joins digits, not letters
        return t
    }()

    public func analyze(_ text: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void) {
        var position: Int32 = 0
        var buf = [UInt8](); buf.reserveCapacity(64)
        var i = 0
        let n = text.count
        let cls = Self.asciiClass
        var start = -1
        var lastKind = 0 // 1 letter-ish, 2 digit
        @inline(__always) func flush(_ end: Int) {
            if !buf.isEmpty {
                if buf.count <= maxTokenLength {
                    buf.withUnsafeBufferPointer { emit($0, position, Int32(start), Int32(end)) }
                    position += 1
                } else {
                    // Elasticsearch splits over-long tokens at max_token_length.
                    var o = 0
                    while o < buf.count {
                        let e = min(o + maxTokenLength, buf.count)
                        buf.withUnsafeBufferPointer { emit(UnsafeBufferPointer(rebasing: $0[o..<e]), position, Int32(start), Int32(end)) }
                        position += 1
                        o = e
                    }
                }
                buf.removeAll(keepingCapacity: true)
            }
            start = -1
        }
        while i < n {
            let b = text[i]
            if b < 0x80 {
                let c = cls[Int(b)]
                if c == 1 {
                    if start < 0 { start = i }
                    let isDigit = b >= 48 && b <= 57
                    lastKind = isDigit ? 2 : 1
                    buf.append(b >= 65 && b <= 90 ? b + 32 : b)
                    i += 1
                } else if c >= 2 && start >= 0 && i + 1 < n && text[i + 1] < 0x80 && cls[Int(text[i + 1])] == 1 {
                    // A connector between two word characters stays inside the word
                    // (MidLetter/MidNum/MidNumLet); ',' only between digits.
                    let nextIsDigit = text[i + 1] >= 48 && text[i + 1] <= 57
                    if c == 3 && !(lastKind == 2 && nextIsDigit) { flush(i); i += 1; continue }
                    if b == UInt8(ascii: ":") && (lastKind == 2 || nextIsDigit) { flush(i); i += 1; continue }
                    if b == UInt8(ascii: ".") || b == UInt8(ascii: "'") || b == UInt8(ascii: ":") {
                        // '.' joins letter.letter and digit.digit; letter.digit breaks in UAX #29
                        if b == UInt8(ascii: ".") && (lastKind == 2) != nextIsDigit { flush(i); i += 1; continue }
                        if b != UInt8(ascii: ".") && (lastKind == 2 || nextIsDigit) { flush(i); i += 1; continue }
                    }
                    buf.append(b)
                    i += 1
                } else {
                    flush(i); i += 1
                }
                continue
            }
            // Non-ASCII: decode one scalar.
            let (scalar, len) = decodeScalar(text, i)
            if let s = scalar, s.properties.isAlphabetic || s.properties.numericType != nil || s.properties.generalCategory == .nonspacingMark {
                if start < 0 { start = i }
                lastKind = 1
                if s.properties.changesWhenLowercased {
                    for l in s.properties.lowercaseMapping.utf8 { buf.append(l) }
                } else {
                    buf.append(contentsOf: UnsafeBufferPointer(rebasing: text[i..<i + len]))
                }
                // Ideographs and kana are single-character tokens in UAX #29.
                if isIdeographic(s) { flush(i + len) }
            } else {
                flush(i)
            }
            i += len
        }
        flush(n)
    }

    @inline(__always) func isIdeographic(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0x3400 && v <= 0x4DBF) || (v >= 0x3040 && v <= 0x30FF) || (v >= 0x20000 && v <= 0x2FFFF)
    }
}

/// Decodes one UTF-8 scalar at `i`; invalid bytes yield nil and a length of 1.
@inline(__always) func decodeScalar(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Unicode.Scalar?, Int) {
    let b0 = t[i]
    let n = t.count
    var len = 1
    var v: UInt32 = 0
    if b0 & 0xE0 == 0xC0 { len = 2; v = UInt32(b0 & 0x1F) }
    else if b0 & 0xF0 == 0xE0 { len = 3; v = UInt32(b0 & 0x0F) }
    else if b0 & 0xF8 == 0xF0 { len = 4; v = UInt32(b0 & 0x07) }
    else { return (nil, 1) }
    guard i + len <= n else { return (nil, 1) }
    for k in 1..<len {
        let b = t[i + k]
        guard b & 0xC0 == 0x80 else { return (nil, 1) }
        v = (v << 6) | UInt32(b & 0x3F)
    }
    return (Unicode.Scalar(v), len)
}
