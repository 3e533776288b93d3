/// The nesting depth of a JSON text, found by one pass over its bytes (strings skipped).
/// Request bodies deeper than `Limits.maxRequestJSONDepth` are refused before anything walks
/// them: every parser of the DSL (queries, aggregations, mappings) recurses once per level.
enum JSONDepth {
    static func exceeds(_ body: [UInt8], _ limit: Int) -> Bool {
        var depth = 0
        var inString = false, escaped = false
        for b in body {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return false
    }
}
