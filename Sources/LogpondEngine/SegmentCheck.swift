/// Reads every structure of a segment once: what `logpond check` runs on each file, and what
/// the segment fuzz target runs on mutated bytes. A structure that does not decode throws
/// `EngineError.corruptFile`; none may trap.
extension Segment {
    public func exercise() throws {
        for name in fieldNames.sorted() {
            if let d = try dictionary(name) {
                let positions = (fieldInfo(name)?.flags ?? 0) & SegmentFormat.flagPositions != 0
                for o in 0..<d.count {
                    _ = d.term(o)
                    if positions { _ = try d.docsAndPositions(o, cache: false) } else { _ = try d.docs(o, cache: false) }
                }
            }
            if let c = try numericColumn(name) { for doc in 0..<docCount where c.has(doc) { _ = c.double(doc) } }
            if let c = try ordinalColumn(name) { for doc in 0..<docCount { _ = c.values(doc) } }
            _ = try norms(name)
        }
        for doc in 0..<docCount { _ = try document(doc) }
    }
}
