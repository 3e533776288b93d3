import Foundation
import LogpondEngine
import LogpondForward
import LogpondHTTP

/// The fuzz targets (issue 16). Each takes one input and drives it through the same code a
/// request or a file on disk would reach; any trap, hang or sanitizer report is a finding.
/// Targets: query (a `_search` body: parsing, planning, execution, aggregations), lucene
/// (a `q=` query string), aggs (an `aggs` object), bulk (a `_bulk` body with the indexer),
/// analyze (an `_analyze` body with random tokenizer settings), segment (mutations of a
/// segment file, opened without its checksum so the readers see them), translog (records
/// after a valid generation header), aliases (an `_aliases` body, then a count through every
/// alias it made, its filter applied), forward (bytes as a Forward protocol connection
/// carries them: framed, decoded, interpreted and turned into documents).
enum Harness {
    static let targets = ["query", "lucene", "aggs", "bulk", "analyze", "segment", "translog", "aliases", "forward"]

    static func run(_ target: String, _ input: [UInt8]) {
        switch target {
        case "query": request("POST", "/fx/_search", body: input)
        case "lucene":
            let q = String(decoding: input.prefix(4096), as: UTF8.self)
            let body = (try? JSONSerialization.data(withJSONObject: ["query": ["query_string": ["query": q]], "size": 3])) ?? Data()
            request("POST", "/fx/_search", body: [UInt8](body))
        case "aggs": request("POST", "/fx/_search", body: Array("{\"size\":0,\"aggs\":".utf8) + input + Array("}".utf8))
        case "bulk":
            // What a bulk acknowledges must seal into a segment: a refresh that fails after
            // documents were accepted is the data-loss class of issue 16, so it aborts.
            bulkCount += 1
            let status = request("POST", "/_bulk", body: input)
            if status == 200, request("POST", "/_refresh", body: []) >= 500 {
                fatalError("documents were acknowledged but their buffer did not seal")   // a finding, by design
            }
            if bulkCount % 256 == 0 { _ = request("DELETE", "/_all", body: []) }   // bounds the fixture's memory
        case "analyze": request("POST", "/_analyze", body: input)
        case "aliases":
            request("POST", "/_aliases", body: input)
            request("GET", "/_cat/aliases", body: [])
            request("GET", "/_alias", body: [])
            _ = Fixture.handler
            for n in Array(Set(Fixture.store.aliasRecords.map { $0.alias })).sorted().prefix(4) {
                let path = "/" + (n.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "x")
                request("POST", path + "/_count", body: [])
                request("POST", path + "/_search", body: Array(#"{"size":2,"aggs":{"p":{"terms":{"field":"pod"}}}}"#.utf8))
            }
            request("POST", "/_aliases", body: Array(#"{"actions":[{"remove":{"index":"*","alias":"*","must_exist":false}}]}"#.utf8))
        case "forward": ForwardFuzz.run(input)
        case "segment": SegmentFuzz.run(input)
        case "translog": TranslogFuzz.run(input)
        default: fatalError("unknown fuzz target \(target); one of \(targets)")   // a usage error of the harness, not a request
        }
    }

    nonisolated(unsafe) static var bulkCount = 0

    /// Runs one request on the fixture store, waiting for it (libFuzzer calls synchronously).
    @discardableResult
    static func request(_ method: String, _ path: String, body: [UInt8]) -> Int {
        let sem = DispatchSemaphore(value: 0)
        let handler = Fixture.handler
        nonisolated(unsafe) var status = 0
        Task {
            status = await handler.status(method: method, path: path, body: body)
            sem.signal()
        }
        sem.wait()
        return status
    }
}

/// A store in a temporary folder with a small index of log-like documents in two segments.
enum Fixture {
    static let dir: String = {
        let d = NSTemporaryDirectory() + "logpond-fuzz-\(getpid())"
        try? FileManager.default.removeItem(atPath: d)
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    static let store: Store = {
        do { return try Store(options: StoreOptions(dataPath: dir), log: { _ in }) }
        catch { fatalError("fixture store: \(error)") }   // the harness cannot run without it
    }()

    static let handler: InProcessHandler = {
        let h = InProcessHandler(store: store)
        let mapping = #"{"mappings":{"properties":{"@timestamp":{"type":"date"},"log":{"type":"text"},"pod":{"type":"keyword"},"n":{"type":"long"},"f":{"type":"double"},"ip":{"type":"ip"}}}}"#
        let sem = DispatchSemaphore(value: 0)
        Task {
            _ = await h.status(method: "PUT", path: "/fx", body: Array(mapping.utf8))
            for batch in 0..<2 {
                var body = ""
                for i in 0..<20 {
                    let n = batch * 20 + i
                    body += #"{"index":{"_index":"fx"}}"# + "\n"
                    body += #"{"@timestamp":"2024-01-15T10:\#(String(format: "%02d", n)):00Z","log":"GET /api/\#(n) 200 connection refused \#(n % 3)","pod":"pod-\#(n % 4)","n":\#(n),"f":\#(Double(n) / 3),"ip":"10.0.0.\#(n)"}"# + "\n"
                }
                _ = await h.status(method: "POST", path: "/_bulk", query: "refresh=true", body: Array(body.utf8), headers: [("Content-Type", "application/x-ndjson")])
                _ = await h.status(method: "POST", path: "/_flush", body: [])
            }
            sem.signal()
        }
        sem.wait()
        return h
    }()
}

/// The Forward input's parsing, without a socket: every whole message in the input in turn.
enum ForwardFuzz {
    static func run(_ input: [UInt8]) {
        input.withUnsafeBytes { buf in
            var at = 0
            while at < buf.count {
                let rest = UnsafeRawBufferPointer(rebasing: buf[at...])
                guard let n = try? MessagePack.length(rest, maxDepth: Limits.maxRequestJSONDepth, maxBytes: 1 << 20), n > 0 else { return }
                // The server's scan, fed the message in two reads, must frame it the same.
                var scan = MessagePack.LengthScan()
                let cut = n / 2
                let first = try? scan.advance(UnsafeRawBufferPointer(rebasing: rest[0..<cut]), maxDepth: Limits.maxRequestJSONDepth, maxBytes: 1 << 20)
                let second = try? scan.advance(rest, maxDepth: Limits.maxRequestJSONDepth, maxBytes: 1 << 20)
                if first != nil || second != n { fatalError("resumed scan framed \(String(describing: first)), \(String(describing: second)); one-shot \(n)") }
                var i = 0
                let frame = UnsafeRawBufferPointer(rebasing: rest[0..<n])
                if let v = try? MessagePack.decode(frame, at: &i, maxDepth: Limits.maxRequestJSONDepth),
                   let m = try? ForwardMessage.interpret(v, maxDepth: Limits.maxRequestJSONDepth, maxBytes: 1 << 20) {
                    for e in m.events {
                        _ = ForwardDocument.index(prefix: "logstash", nanos: e.nanos)
                        if let src = ForwardDocument.source(e.record, nanos: e.nanos, tag: m.tag) {
                            // What the input writes must be JSON the engine reads.
                            do { try src.withUnsafeBytes { try JSONFlattener().flatten($0) { _, _ in } } }
                            catch { fatalError("a Forward record became invalid JSON: \(error)") }   // a finding, by design
                        }
                    }
                }
                at += n
            }
        }
    }
}
