/// The common shape of a `_bulk` action line, read without a JSON parser:
/// `{"create":{"_index":"logstash-2024.01.15","_type":"_doc"}}` — one action holding an object
/// of printable-ASCII string members. Anything else (escapes, numbers, nesting, other bytes)
/// returns nil and goes through the general parser, which also words the errors.
enum BulkActionLine {
    static func parse(_ line: ArraySlice<UInt8>) -> (action: String, meta: [String: String])? {
        line.withUnsafeBufferPointer { b -> (String, [String: String])? in
            var i = 0
            let n = b.count
            func ws() { while i < n, b[i] == 0x20 || b[i] == 0x09 { i += 1 } }
            func expect(_ c: UInt8) -> Bool { ws(); guard i < n, b[i] == c else { return false }; i += 1; return true }
            func string() -> String? {
                guard expect(0x22) else { return nil }
                let start = i
                while i < n, b[i] != 0x22 {
                    guard b[i] >= 0x20, b[i] < 0x7F, b[i] != 0x5C else { return nil }
                    i += 1
                }
                guard i < n else { return nil }
                let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            guard expect(0x7B), let action = string(), expect(0x3A), expect(0x7B) else { return nil }
            var meta: [String: String] = [:]
            ws()
            if i < n, b[i] == 0x7D { i += 1 } else {
                while true {
                    guard let k = string(), expect(0x3A), let v = string() else { return nil }
                    meta[k] = v
                    ws()
                    guard i < n else { return nil }
                    if b[i] == 0x2C { i += 1; continue }
                    if b[i] == 0x7D { i += 1; break }
                    return nil
                }
            }
            guard expect(0x7D) else { return nil }
            ws()
            return i == n ? (action, meta) : nil
        }
    }
}
