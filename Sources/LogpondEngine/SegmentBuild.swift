/// Builds a segment from documents in one call, with dynamic mapping: for benchmarks and
/// tools that want the engine's indexing path without a store around it.
public enum SegmentBuild {
    /// The segment bytes for `sources` (ids are their positions); documents that fail to index are skipped.
    public static func build(_ sources: [[UInt8]]) -> [UInt8]? {
        SegmentWriter.write(index(sources, mapping: Mapping()))?.bytes
    }

    /// A write buffer holding `sources` indexed under `mapping` (dynamic fields added as they come).
    public static func index(_ sources: [[UInt8]], mapping: Mapping, into b: SegmentBuilder = SegmentBuilder()) -> SegmentBuilder {
        var m = mapping
        var version = 0
        let cache = PathCache()
        let fl = JSONFlattener()
        for (i, d) in sources.enumerated() {
            d.withUnsafeBytes { buf in
                try? fl.flatten(buf) { e, a in
                    guard let a else { return }
                    // As `Index.indexInto` does it.
                    b.objects.begin(version: version, e, a)
                    let added = try DocumentIndexer.plan(e, a, mapping: m, docID: String(i), cache: cache, objects: b.objects)
                    if !added.isEmpty {
                        for (p, f) in added { m.add(p, f) }
                        cache.reset()
                        version += 1
                        b.objects.mappingChanged(to: version)
                    }
                    let doc = b.beginDoc(id: String(i), version: 1, seq: Int64(i + 1), source: d, timestamp: SegmentFormat.noTimestamp)
                    DocumentIndexer.add(e, a, mapping: m, builder: b, doc: doc, cache: cache, objects: b.objects)
                }
            }
        }
        return b
    }

    /// The segment bytes of a write buffer, as a flush writes them.
    public static func write(_ b: SegmentBuilder, tuning: SegmentWriter.Tuning = .init()) -> [UInt8]? { SegmentWriter.write(b, tuning: tuning)?.bytes }
}
