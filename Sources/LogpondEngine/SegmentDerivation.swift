/// Finds keyword fields whose value follows from another keyword field's in a segment (format
/// version 5, docs/format/segment.md "Derived keyword fields"). Fluent Bit's Kubernetes
/// metadata is per pod: `pod_name`, `pod_id`, `docker_id`, `namespace_name`, `host`, labels
/// all follow from any one of them, and each would otherwise store a postings list and an
/// ordinal column of its own with one entry per document.
struct SegmentDerivation {
    /// A field written in full that later fields may derive from: its ordinal per document.
    struct Key { let name: String; let termCount: Int; let ordOf: [Int32] }
    private(set) var keys: [Key] = []

    /// Each document's single ordinal (-1: none); nil when some document has several.
    static func singleValued(starts: [Int32], ords: [Int32]) -> [Int32]? {
        let docCount = starts.count - 1
        var out = [Int32](repeating: -1, count: docCount)
        for d in 0..<docCount {
            let n = starts[d + 1] - starts[d]
            if n > 1 { return nil }
            if n == 1 { out[d] = ords[Int(starts[d])] }
        }
        return out
    }

    /// The key `ordOf` follows from and the map from the key's ordinals to this field's
    /// ordinals (-1: no value); nil when no key determines it. Keys with fewer terms are tried
    /// first: a term of the derived field then gathers fewer of the key's lists.
    func derivation(of ordOf: [Int32]) -> (key: Key, map: [Int32])? {
        for key in keys.sorted(by: { $0.termCount < $1.termCount }) {
            var map = [Int32](repeating: -2, count: key.termCount)
            var ok = true
            for d in 0..<ordOf.count {
                let k = key.ordOf[d], v = ordOf[d]
                if k < 0 {
                    if v >= 0 { ok = false; break }
                    continue
                }
                if map[Int(k)] == -2 { map[Int(k)] = v } else if map[Int(k)] != v { ok = false; break }
            }
            if ok { return (key, map.map { max($0, -1) }) }
        }
        return nil
    }

    /// The order to write fields in: keyword fields (`termCount` not nil) with the most terms
    /// first, so the most specific field is a key before the fields that follow from it; then
    /// the rest by name. The directory lists fields by name whatever the order.
    static func writeOrder(_ names: [String], termCount: (String) -> Int?) -> [String] {
        let byName = names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let keyed = byName.compactMap { n in termCount(n).map { (n, $0) } }
        let first = keyed.enumerated().sorted { $0.element.1 != $1.element.1 ? $0.element.1 > $1.element.1 : $0.offset < $1.offset }.map { $0.element.0 }
        let firstSet = Set(first)
        return first + byName.filter { !firstSet.contains($0) }
    }

    /// Remembers a field written in full as a possible key (while there is room).
    mutating func offer(name: String, termCount: Int, ordOf: [Int32]) {
        guard termCount >= 2, keys.count < Limits.maxDerivationKeys else { return }
        keys.append(Key(name: name, termCount: termCount, ordOf: ordOf))
    }
}
