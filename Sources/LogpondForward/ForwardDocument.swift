import Foundation
import LogpondEngine

/// A Forward record as an Elasticsearch document: the record's map as JSON, `@timestamp` from
/// the event time when the record has none (milliseconds, as Fluent Bit's es output writes
/// it), and the tag in `tag`; the index `<prefix>-YYYY.MM.DD` of the event time (UTC), as
/// Logstash_Format names it.
public enum ForwardDocument {
    public static func index(prefix: String, nanos: Int64) -> String {
        let day = DateParser.format(millis: DateFormats.floorDiv(nanos, 1_000_000)).prefix(10)   // YYYY-MM-DD
        return prefix + "-" + day.replacingOccurrences(of: "-", with: ".")
    }

    /// The JSON source, or nil when the record is not a map.
    public static func source(_ record: MPValue, nanos: Int64, tag: String) -> [UInt8]? {
        guard case .map(let members) = record else { return nil }
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func key(_ k: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            string(Array(k.utf8), &out); out.append(UInt8(ascii: ":"))
        }
        let keys = members.map { keyText($0.0) }
        if !keys.contains("@timestamp") {
            key("@timestamp")
            out.append(UInt8(ascii: "\""))
            DateParser.write(millis: DateFormats.floorDiv(nanos, 1_000_000), into: &out)
            out.append(UInt8(ascii: "\""))
        }
        for (k, (_, v)) in zip(keys, members) {
            key(k)
            value(v, &out)
        }
        if !keys.contains("tag") { key("tag"); string(Array(tag.utf8), &out) }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func keyText(_ k: MPValue) -> String {
        switch k {
        case .str(let b), .bin(let b): return String(decoding: b, as: UTF8.self)
        case .int(let n): return String(n)
        case .uint(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .double(let d): return String(d)
        default: return "_"
        }
    }

    /// A value as JSON; depth was bounded when the message was decoded.
    static func value(_ v: MPValue, _ out: inout [UInt8]) {
        switch v {
        case .null, .ext: out.append(contentsOf: Array("null".utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .int(let n): out.append(contentsOf: Array(String(n).utf8))
        case .uint(let n): out.append(contentsOf: Array(String(n).utf8))
        case .double(let d): out.append(contentsOf: Array((d.isFinite ? String(d) : "null").utf8))
        case .str(let b), .bin(let b): string(Array(String(decoding: b, as: UTF8.self).utf8), &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, x) in a.enumerated() { if i > 0 { out.append(UInt8(ascii: ",")) }; value(x, &out) }
            out.append(UInt8(ascii: "]"))
        case .map(let m):
            out.append(UInt8(ascii: "{"))
            for (i, (k, x)) in m.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                string(Array(keyText(k).utf8), &out); out.append(UInt8(ascii: ":")); value(x, &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string of valid UTF-8 bytes (callers decoded with replacement first).
    static func string(_ b: [UInt8], _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for c in b {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0a: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0d: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, 0x7f: out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(c >> 4)], hex[Int(c & 15)]])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
