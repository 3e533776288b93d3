import Foundation
import LogpondEngine

/// Bytes that are already JSON (a stored `_source`), embedded verbatim by `JSONWriter.any`.
public struct RawJSON {
    public let bytes: [UInt8]
    public init(_ b: [UInt8]) { bytes = b }
}

/// Builds compact JSON into bytes. Raw fragments (stored `_source`) are embedded verbatim.
public struct JSONWriter {
    public var bytes: [UInt8] = []
    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }
    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    /// A constant fragment (a key with its quotes and colon) copied in one append, without
    /// scanning it for characters to escape: histograms write thousands of them.
    public mutating func lit(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
    public mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { u in
            // Runs that need no escaping are copied whole.
            var runStart = 0
            for (i, b) in u.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<i]))
                runStart = i + 1
                switch b {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
                case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
                default: bytes.append(contentsOf: Array(String(format: "\\u%04x", b).utf8))
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<u.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
    public mutating func key(_ k: String) { string(k); bytes.append(UInt8(ascii: ":")) }
    /// Decimal digits written in place (no String per number: aggregations write thousands).
    public mutating func int(_ v: Int64) {
        if v < 0 {
            bytes.append(UInt8(ascii: "-"))
            // -Int64.min does not fit: its magnitude as UInt64.
            digits(UInt64(bitPattern: 0 &- v))
        } else { digits(UInt64(v)) }
    }
    public mutating func int(_ v: Int) { int(Int64(v)) }
    /// Epoch millis as a quoted `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` string.
    public mutating func isoDate(millis: Int64) {
        DateParser.write(millis: millis, into: &bytes, quoted: true)
    }
    private mutating func digits(_ v: UInt64) {
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = v, len = 0
        withUnsafeMutableBytes(of: &tmp) { t in
            repeat { t[19 - len] = UInt8(truncatingIfNeeded: n % 10) + 48; n /= 10; len += 1 } while n > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: t[(20 - len)...]))
        }
    }
    public mutating func double(_ v: Double) {
        if v.isNaN || v.isInfinite { raw("null") }
        else if v == v.rounded() && abs(v) < 1e15 { raw(String(format: "%.1f", v)) }
        else { raw("\(v)") }
    }
    public mutating func bool(_ v: Bool) { raw(v ? "true" : "false") }
    public mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    /// Serialises a Foundation JSON value (dictionaries with sorted keys for stable output).
    public mutating func any(_ v: Any?) {
        // Exact-type checks first: the casts below consult protocol conformances (NSNumber
        // bridging) and cost microseconds each, which large aggregation responses multiply.
        if let x = v {
            let t = type(of: x)
            if t == Int.self { int(x as! Int); return }
            if t == String.self { string(x as! String); return }
            if t == Int64.self { int(x as! Int64); return }
            if t == [(String, Any)].self { object(x as! [(String, Any)]); return }
            if t == [Any].self { array(x as! [Any]); return }
        }
        switch v {
        case nil, is NSNull: raw("null")
        case let s as String: string(s)
        case let r as RawJSON: raw(r.bytes)
        case let b as Bool where !(v is NSNumber) || String(cString: (v as! NSNumber).objCType) == "c": bool(b)
        case let n as NSNumber:
            let t = String(cString: n.objCType)
            if t == "c" { bool(n.boolValue) } else if t == "d" || t == "f" { double(n.doubleValue) } else { int(n.int64Value) }
        case let i as Int: int(i)
        case let i as Int64: int(i)
        case let d as Double: double(d)
        // An empty array of any element type casts to [(String, Any)] too: only exact-typed
        // (above) or non-empty ones are objects, or an empty `[String]` would print as `{}`.
        case let o as [(String, Any)] where !o.isEmpty: object(o)
        case let a as [Any]: array(a)
        case let o as [String: Any]:
            raw("{")
            for (k, key) in o.keys.sorted().enumerated() { if k > 0 { comma() }; self.key(key); any(o[key]) }
            raw("}")
        case let o as KeyValuePairs<String, Any>:
            raw("{")
            for (k, kv) in o.enumerated() { if k > 0 { comma() }; key(kv.key); any(kv.value) }
            raw("}")
        case let b as [UInt8]: raw(b)
        default: string("\(v!)")
        }
    }

    private mutating func object(_ o: [(String, Any)]) {
        raw("{")
        for (k, kv) in o.enumerated() { if k > 0 { comma() }; key(kv.0); any(kv.1) }
        raw("}")
    }

    private mutating func array(_ a: [Any]) {
        raw("[")
        for (k, x) in a.enumerated() { if k > 0 { comma() }; any(x) }
        raw("]")
    }

    /// Re-indents compact JSON the way Elasticsearch's `?pretty` does, keeping key order.
    public static func pretty(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 2)
        var depth = 0
        var inString = false, escaped = false
        func newline() { out.append(10); for _ in 0..<(depth * 2) { out.append(32) } }
        var i = 0
        while i < input.count {
            let c = input[i]
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == 92 { escaped = true } else if c == 34 { inString = false }
                i += 1; continue
            }
            switch c {
            case 34: inString = true; out.append(c)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close: UInt8 = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if i + 1 < input.count && input[i + 1] == close { out.append(c); out.append(32); out.append(close); i += 2; continue }
                out.append(c); depth += 1; newline()
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1; newline(); out.append(c)
            case UInt8(ascii: ","): out.append(c); newline()
            case UInt8(ascii: ":"): out.append(contentsOf: [32, 58, 32])
            case 32, 10, 13, 9: break
            default: out.append(c)
            }
            i += 1
        }
        out.append(10)
        return out
    }
}
