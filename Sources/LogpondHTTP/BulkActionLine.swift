/// The common shape of a `_bulk` action line, read without a JSON parser:
/// `{"create":{"_index":"logstash-2024.01.15","_type":"_doc"}}` — one action holding an object
/// of printable-ASCII string members. Anything else (escapes, numbers, nesting, other bytes)
/// returns nil and goes through the general parser, which also words the errors. Of the
/// metadata only `_index` and `_id` are kept (`_type` is dropped; any other member sends the
/// line to the general parser, which reads conditions and versions) (the last of each, as a JSON object's keys): a
/// dictionary per line was 2% of ingest.
enum BulkActionLine {
    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> (action: String, index: String?, id: String?)? {
        do {
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
            var index: String? = nil, id: String? = nil
            ws()
            if i < n, b[i] == 0x7D { i += 1 } else {
                while true {
                    guard let k = string(), expect(0x3A), let v = string() else { return nil }
                    // Anything but the index, id and type (versions, conditions) takes the general path.
                    if k == "_index" { index = v } else if k == "_id" { id = v } else if k != "_type" { return nil }
                    ws()
                    guard i < n else { return nil }
                    if b[i] == 0x2C { i += 1; continue }
                    if b[i] == 0x7D { i += 1; break }
                    return nil
                }
            }
            guard expect(0x7D) else { return nil }
            ws()
            return i == n ? (action, index, id) : nil
        }
    }
}
