import Foundation

/// The partial-document merge of `_update` (`doc`): objects merge key by key, anything else
/// (arrays, scalars) is replaced, as Elasticsearch's `XContentHelper.update` does. Works on the
/// JSON text: keys keep their order (new ones go last) and untouched values keep their bytes,
/// so a merged `_source` differs from the stored one only where the patch changed it.
public enum SourceMerge {
    /// A JSON value: an object as ordered members, anything else as its exact text.
    indirect enum Node {
        case object([(rawKey: ArraySlice<UInt8>, key: String, value: Node)])
        case raw(ArraySlice<UInt8>)
    }

    /// `base` with `patch` merged in, and whether anything changed (`detect_noop`). nil when
    /// either is not a JSON object (callers validated both, so this is a refusal, not a trap).
    public static func merge(_ base: [UInt8], _ patch: [UInt8]) -> (source: [UInt8], changed: Bool)? {
        guard let b = parseDocument(base), let p = parseDocument(patch), case .object = b, case .object = p else { return nil }
        var changed = false
        let m = merge(b, p, &changed)
        var out: [UInt8] = []
        out.reserveCapacity(base.count + patch.count)
        write(m, &out)
        return (out, changed)
    }

    /// The value of a top-level member of a JSON object, compact and in its own key order.
    public static func member(_ body: [UInt8], _ key: String) -> [UInt8]? {
        guard case .object(let members)? = parseDocument(body), let m = members.last(where: { $0.key == key }) else { return nil }
        var out: [UInt8] = []
        write(m.value, &out)
        return out
    }

    static func merge(_ base: Node, _ patch: Node, _ changed: inout Bool) -> Node {
        guard case .object(var members) = base, case .object(let updates) = patch else {
            if !same(base, patch) { changed = true }
            return patch
        }
        for u in updates {
            if let i = members.firstIndex(where: { $0.key == u.key }) {
                members[i].value = merge(members[i].value, u.value, &changed)
            } else {
                members.append(u)
                changed = true
            }
        }
        return .object(members)
    }

    static func same(_ a: Node, _ b: Node) -> Bool {
        switch (a, b) {
        case (.raw(let x), .raw(let y)): return x.elementsEqual(y)
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && same($0.value, $1.value) }
        default: return false
        }
    }

    static func write(_ n: Node, _ out: inout [UInt8]) {
        switch n {
        case .raw(let r): out.append(contentsOf: r)
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, m) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "\"")); out.append(contentsOf: m.rawKey); out.append(UInt8(ascii: "\""))
                out.append(UInt8(ascii: ":"))
                write(m.value, &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func parseDocument(_ b: [UInt8]) -> Node? {
        var p = Parser(b: b)
        guard let n = p.value(depth: 0) else { return nil }
        p.skipSpace()
        return p.i == b.count ? n : nil
    }

    /// A recursive-descent reader for objects (depth-limited by `Limits.maxRequestJSONDepth`);
    /// every other value is skipped over by a loop that moves forward on each byte.
    struct Parser {
        let b: [UInt8]
        var i = 0

        mutating func skipSpace() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }

        mutating func value(depth: Int) -> Node? {
            skipSpace()
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: "{") {
                guard depth < Limits.maxRequestJSONDepth else { return nil }
                return object(depth: depth)
            }
            let start = i
            guard skipValue() else { return nil }
            return .raw(b[start..<i])
        }

        mutating func object(depth: Int) -> Node? {
            i += 1
            var members: [(rawKey: ArraySlice<UInt8>, key: String, value: Node)] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
                let ks = i
                guard skipString() else { return nil }
                let raw = b[(ks + 1)..<(i - 1)]
                let key: String
                if raw.contains(UInt8(ascii: "\\")) {
                    guard let a = try? JSONSerialization.jsonObject(with: Data(b[ks..<i]), options: [.fragmentsAllowed]) as? String else { return nil }
                    key = a
                } else {
                    key = String(decoding: raw, as: UTF8.self)
                }
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let v = value(depth: depth + 1) else { return nil }
                members.append((raw, key, v))
                skipSpace()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                return nil
            }
        }

        /// Past one string (at its opening quote).
        mutating func skipString() -> Bool {
            i += 1
            while i < b.count {
                if b[i] == UInt8(ascii: "\\") { i += 2; continue }
                if b[i] == UInt8(ascii: "\"") { i += 1; return true }
                i += 1
            }
            return false
        }

        /// Past one non-object value: a string, an array (brackets counted, strings skipped),
        /// or a number/literal up to the next delimiter.
        mutating func skipValue() -> Bool {
            switch b[i] {
            case UInt8(ascii: "\""): return skipString()
            case UInt8(ascii: "["):
                var level = 0
                while i < b.count {
                    switch b[i] {
                    case UInt8(ascii: "\""): guard skipString() else { return false }; continue
                    case UInt8(ascii: "["), UInt8(ascii: "{"): level += 1
                    case UInt8(ascii: "]"), UInt8(ascii: "}"):
                        level -= 1
                        if level == 0 { i += 1; return true }
                    default: break
                    }
                    i += 1
                }
                return false
            default:
                let start = i
                while i < b.count, !(b[i] == UInt8(ascii: ",") || b[i] == UInt8(ascii: "}") || b[i] == UInt8(ascii: "]")
                                     || b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09) { i += 1 }
                return i > start
            }
        }
    }
}
