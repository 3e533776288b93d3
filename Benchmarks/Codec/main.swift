import Foundation
import LogpondAnalysis
import LogpondEngine

// Codec micro-benchmarks: postings, stored blocks, the tokenizer and JSON parsing, on log lines
// from ../shared/data/loghub (built-in lines when absent). Medians of repeated runs.
// Built by `make test` so they cannot rot; run with `make bench` or .build/release/logpond-bench.

func loadLines() -> [String] {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data/loghub")
    var out: [String] = []
    for f in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where f.hasSuffix(".log") {
        if let t = try? String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8) {
            out += t.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        }
    }
    return out.isEmpty ? (0..<20000).map { "GET /healthz 200 request \($0) served in \($0 % 97) ms from 10.0.\($0 % 255).1" } : out
}

// `--fluent FILE --fluent-only --once`: only the ingest path, one run of each part (for
// `valgrind --tool=callgrind`, whose instruction counts do not move with a noisy machine).
let fluentOnly = CommandLine.arguments.contains("--fluent-only")
let once = CommandLine.arguments.contains("--once")

func median(_ requested: Int, _ body: () -> Void) -> Double {
    let runs = once ? 1 : requested
    var times: [Double] = []
    for _ in 0..<runs {
        let t = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
    }
    return times.sorted()[runs / 2]
}

func report(_ name: String, bytes: Int, seconds: Double, extra: String = "") {
    let label = name.padding(toLength: 36, withPad: " ", startingAt: 0)
    print(label + String(format: "%9.1f MB/s  %8.2f ms  ", Double(bytes) / seconds / 1e6, seconds * 1000) + extra)
}

if !fluentOnly {
    let lines = loadLines()
    let docs: [[UInt8]] = lines.enumerated().map { i, l in
        var rec: [String: Any] = ["@timestamp": DateParser.format(millis: 1_705_312_800_000 + Int64(i) * 10), "log": l, "stream": i % 5 == 0 ? "stderr" : "stdout"]
        rec["kubernetes"] = ["namespace_name": "ns\(i % 8)", "pod_name": "pod-\(i % 200)", "host": "node-\(i % 12)"]
        return [UInt8](try! JSONSerialization.data(withJSONObject: rec))
    }
    let totalBytes = docs.reduce(0) { $0 + $1.count }
    print("corpus: \(docs.count) documents, \(totalBytes) bytes of JSON")

    // JSON parse (simdjson flattening).
    let fl = JSONFlattener()
    var events = 0
    var t = median(5) { for d in docs { d.withUnsafeBytes { b in events += (try? fl.flatten(b) { e, _ in e.count }) ?? 0 } } }
    report("JSON flatten (simdjson)", bytes: totalBytes, seconds: t)
    t = median(3) { for d in docs { _ = try? JSONSerialization.jsonObject(with: Data(d)) } }
    report("JSON parse (Foundation, for scale)", bytes: totalBytes, seconds: t)

    // Tokenizer.
    let text = lines.map { Array($0.utf8) }
    let textBytes = text.reduce(0) { $0 + $1.count }
    var tokens = 0
    t = median(5) { for l in text { l.withUnsafeBufferPointer { Analyzers.standard.analyze($0) { _, _, _, _ in tokens += 1 } } } }
    report("standard analyzer", bytes: textBytes, seconds: t, extra: "\(tokens / 5) tokens per run")

    // Indexing into a segment builder and writing the segment (postings, columns, stored blocks).
    var segBytes: [UInt8] = []
    t = median(3) { segBytes = SegmentBuild.build(docs) ?? [] }
    report("index + write segment", bytes: totalBytes, seconds: t, extra: "segment \(segBytes.count) bytes (\(String(format: "%.1f", 100 * Double(segBytes.count) / Double(totalBytes)))% of JSON)")

    // Reading back: postings decode and stored-block decompression.
    let seg = try! Segment.inMemory(id: 1, bytes: segBytes)
    let dict = try! seg.dictionary("log")!
    var postings = 0
    t = median(5) { for o in 0..<dict.count { postings += (try? dict.docs(o).count) ?? 0 } }
    report("postings decode (log, all terms)", bytes: postings / 5 * 4, seconds: t, extra: "\(postings / 5) doc ids per run")
    t = median(3) { for d in stride(from: 0, to: seg.docCount, by: 1) { _ = try? seg.document(d) } }
    report("stored documents, sequential", bytes: totalBytes, seconds: t)
}

// The ingest path on fluent-bit records, in-process: `logpond-bench --fluent FILE` with FILE one
// `_source` per line (Benchmarks/corpus.py writes them). Documents are cut into 6 MB write
// buffers as the server flushes them; indexing and segment writing are timed apart, so a
// change to either shows without HTTP, translog and merges around it (steadier than ingest.py).
if let at = CommandLine.arguments.firstIndex(of: "--fluent"), at + 1 < CommandLine.arguments.count {
    let text = try! Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[at + 1]))
    let sources = text.split(separator: UInt8(ascii: "\n")).map { [UInt8]($0) }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let template = try! JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("mappings/fluent-logging.json"))) as! [String: Any]
    let mapping = try! MappingJSON.parse(template["mappings"]!)
    var buffers: [[[UInt8]]] = [[]]
    var filled = 0
    for s in sources {
        if filled >= 6 << 20 { buffers.append([]); filled = 0 }
        buffers[buffers.count - 1].append(s); filled += s.count
    }
    let bytes = sources.reduce(0) { $0 + $1.count }
    print("fluent corpus: \(sources.count) documents, \(bytes) bytes, \(buffers.count) write buffers")
    var built: [SegmentBuilder] = []
    let ti = median(3) { built = buffers.map { SegmentBuild.index($0, mapping: mapping) } }
    report("fluent: index (plan + add)", bytes: bytes, seconds: ti, extra: String(format: "%.2f us/doc", ti * 1e6 / Double(sources.count)))
    // The same without the object memo (ObjectMemo): what replaying repeated objects saves.
    let tn = median(3) {
        _ = buffers.map { b -> SegmentBuilder in
            let off = SegmentBuilder()
            off.objects.disable()
            return SegmentBuild.index(b, mapping: mapping, into: off)
        }
    }
    report("fluent: index, objects not replayed", bytes: bytes, seconds: tn, extra: String(format: "%.2f us/doc", tn * 1e6 / Double(sources.count)))
    var written = 0
    let tw = median(3) { written = built.reduce(0) { $0 + (SegmentBuild.write($1)?.count ?? 0) } }
    report("fluent: write segments", bytes: bytes, seconds: tw, extra: String(format: "%.2f us/doc, %d bytes", tw * 1e6 / Double(sources.count), written))
    let ts = median(3) { written = built.reduce(0) { $0 + (SegmentBuild.write($1, tuning: .seal)?.count ?? 0) } }
    report("fluent: seal (as the server does)", bytes: bytes, seconds: ts, extra: String(format: "%.2f us/doc, %d bytes", ts * 1e6 / Double(sources.count), written))
}
