/// The `standard` analyzer: the standard tokenizer, lowercased, optional stop words. The
/// lowercasing is fused into the tokenizer's output loop because this analyzer runs on every
/// log line.
public struct StandardAnalyzer: Analyzer {
    public let name = "standard"
    public let tokenizer: StandardTokenizer
    public let stopwords: Set<[UInt8]>
    public init(maxTokenLength: Int = 255, stopwords: Set<[UInt8]> = []) {
        tokenizer = StandardTokenizer(maxTokenLength: maxTokenLength)
        self.stopwords = stopwords
    }
    public var maxTokenLength: Int { tokenizer.maxTokenLength }

    public func analyze(_ text: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void) {
        var position: Int32 = 0
        var buf = [UInt8]()   // non-ASCII tokens only; allocates on first use
        // ASCII tokens (nearly all of a log line) are lowercased into a fixed scratch buffer on
        // the stack: appending byte by byte to an array checked capacity and uniqueness per byte.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: tokenizer.maxTokenLength) { scratch in
            tokenizer.tokenize(text) { r, _ in
                if stopwords.isEmpty, r.count <= scratch.count, let out = asciiLowercase(text, r, into: scratch) {
                    emit(UnsafeBufferPointer(out), position, Int32(r.lowerBound), Int32(r.upperBound))
                    position += 1
                    return
                }
                buf.removeAll(keepingCapacity: true)
                lowercase(text, r, into: &buf)
                if stopwords.isEmpty || !stopwords.contains(buf) {
                    buf.withUnsafeBufferPointer { emit($0, position, Int32(r.lowerBound), Int32(r.upperBound)) }
                }
                position += 1
            }
        }
    }
}

/// text[r] lowercased into the front of `scratch` when it is all ASCII; nil otherwise.
@inline(__always) func asciiLowercase(_ text: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, into scratch: UnsafeMutableBufferPointer<UInt8>) -> UnsafeMutableBufferPointer<UInt8>? {
    var k = 0
    for i in r {
        let b = text[i]
        guard b < 0x80 else { return nil }
        scratch[k] = b &- 65 < 26 ? b &+ 32 : b
        k += 1
    }
    return UnsafeMutableBufferPointer(rebasing: scratch[0..<k])
}

/// Appends the lowercase form of text[r] to `out` (ASCII fast path, Unicode otherwise).
@inline(__always) func lowercase(_ text: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, into out: inout [UInt8]) {
    var i = r.lowerBound
    while i < r.upperBound {
        let b = text[i]
        if b < 0x80 { out.append(b >= 65 && b <= 90 ? b + 32 : b); i += 1; continue }
        let (s, len) = decodeScalar(text, i)
        if let s, s.properties.changesWhenLowercased { out.append(contentsOf: s.properties.lowercaseMapping.utf8) }
        else { out.append(contentsOf: UnsafeBufferPointer(rebasing: text[i..<min(i + len, r.upperBound)])) }
        i += len
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
