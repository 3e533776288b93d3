import XCTest
@testable import LogpondEngine
@testable import LogpondQuery

/// The engine through its public entry, on a real data folder with real SQLite.
final class StoreTests: XCTestCase {
    var dirs: [String] = []
    override func tearDown() { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }

    func tempDir() -> String {
        let d = NSTemporaryDirectory() + "logpond-test-" + UUID().uuidString
        dirs.append(d)
        return d
    }

    func docs(_ n: Int) -> [WriteOp] {
        (0..<n).map { i in
            let src = #"{"@timestamp":"2024-01-15T10:\#(String(format: "%02d", i % 60)):00Z","log":"line \#(i % 7 == 0 ? "error" : "ok") number \#(i)","pod":"web-\#(i % 3)","n":\#(i)}"#
            return WriteOp(action: .index, index: "logs", id: nil, source: Array(src.utf8))
        }
    }

    static let queries: [String] = [
        #"{"match_all":{}}"#,
        #"{"match":{"log":"error"}}"#,
        #"{"term":{"pod.keyword":"web-1"}}"#,
        #"{"range":{"n":{"gte":10,"lt":50}}}"#,
        #"{"range":{"@timestamp":{"gte":"2024-01-15T10:30:00Z"}}}"#,
        #"{"bool":{"filter":[{"term":{"pod.keyword":"web-2"}}],"must_not":[{"match":{"log":"error"}}]}}"#,
        #"{"terms":{"pod.keyword":["web-0","web-2"]}}"#,
        #"{"exists":{"field":"pod"}}"#,
        #"{"bool":{"filter":[{"term":{"pod.keyword":"web-1"}},{"range":{"@timestamp":{"gte":"2024-01-15T10:30:00Z"}}}]}}"#,
        #"{"bool":{"must":[{"match":{"log":"error"}}],"filter":[{"range":{"@timestamp":{"lt":"2024-01-15T10:20:00Z"}}}]}}"#,
    ]

    func counts(_ store: Store) throws -> [Int] {
        let idx = try XCTUnwrap(store.index(named: "logs"))
        let snap = store.searchSnapshot(idx)
        return try Self.queries.map { q in
            try Searcher().count(try QueryParser.parse(try JSONSerialization.jsonObject(with: Data(q.utf8))), [snap])
        }
    }

    /// Source filtering on plain top-level names copies members as they stand; the result must
    /// equal the general path's (compared as parsed JSON), on sources with nesting, arrays,
    /// escapes and whitespace; dotted keys and non-objects fall back to the general path.
    func testTopLevelSourceFilterEqualsGeneralPathProperty() throws {
        var rng = SplitMix(seed: 12)
        let keys = ["a", "b", "@timestamp", "log", "k"]
        func value(_ depth: Int) -> String {
            switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &rng) {
            case 0: return "\(Int.random(in: -5...5000, using: &rng))"
            case 1: return #""x\"y\\z \u00e9 , } ]""#
            case 2: return ["true", "false", "null", "1.5e3"][Int.random(in: 0..<4, using: &rng)]
            case 3: return #""plain""#
            case 4: return "{ " + (0..<Int.random(in: 0..<3, using: &rng)).map { "\"\(keys[$0])\" : \(value(depth + 1))" }.joined(separator: " , ") + " }"
            default: return "[" + (0..<Int.random(in: 0..<3, using: &rng)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            }
        }
        for _ in 0..<500 {
            let members = keys.shuffled(using: &rng).prefix(Int.random(in: 0...5, using: &rng)).map { "\"\($0)\":\(value(0))" }
            let src = Array((" {" + members.joined(separator: ",\n ") + "} ").utf8)
            let inc = Array(keys.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)))
            let fast = try XCTUnwrap(SourceFilter.topLevel(src, includes: Set(inc.map { Array($0.utf8) })))
            let general = SourceFilter.apply(src, includes: inc + ["no*such"], excludes: [])  // a wildcard forces the general path
            let a = try JSONSerialization.jsonObject(with: Data(fast)) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: Data(general)) as? NSDictionary
            XCTAssertEqual(a, b, String(decoding: src, as: UTF8.self))
        }
        XCTAssertNil(SourceFilter.topLevel(Array(#"{"a.b":1}"#.utf8), includes: [Array("a".utf8)]))
        XCTAssertNil(SourceFilter.topLevel(Array("[1]".utf8), includes: [Array("a".utf8)]))
    }

    /// Segments searched in parallel give exactly the sequential answer: totals, hits, order, scores.
    func testParallelSegmentSearchEqualsSequential() async throws {
        let store = try Store(options: StoreOptions(dataPath: tempDir()))
        let all = docs(400)
        for chunk in stride(from: 0, to: 400, by: 50) { _ = try await store.write(Array(all[chunk..<chunk + 50]), refresh: true) }
        let snap = store.searchSnapshot(try XCTUnwrap(store.index(named: "logs")))
        XCTAssertEqual(snap.segments.count, 8)
        let bodies = [#"{"query":{"match":{"log":"error"}},"size":20}"#,
                      #"{"query":{"match_phrase":{"log":"error number"}},"size":5,"from":3}"#,
                      #"{"query":{"match":{"log":"ok"}},"sort":[{"@timestamp":"desc"}],"size":30}"#,
                      #"{"query":{"term":{"pod.keyword":"web-1"}},"sort":[{"n":"asc"}],"size":7}"#]
        for b in bodies {
            let r = try SearchRequest.parse(body: try JSONSerialization.jsonObject(with: Data(b.utf8)), params: [:])
            var seq = Searcher(), par = Searcher()
            seq.parallelMinDocs = Int.max; par.parallelMinDocs = 0
            let x = try seq.collect(r, [snap], limit: r.from + r.size), y = try par.collect(r, [snap], limit: r.from + r.size)
            XCTAssertGreaterThan(x.total, 0, b)
            XCTAssertEqual(x.total, y.total, b)
            XCTAssertEqual(x.maxScore, y.maxScore, b)
            XCTAssertEqual(x.hits.map { [$0.seg, Int($0.doc)] }, y.hits.map { [$0.seg, Int($0.doc)] }, b)
            XCTAssertEqual(x.hits.map { $0.score }, y.hits.map { $0.score }, b)
        }
    }

    /// A query's postings estimate is what its terms' statistics say, over every segment, and
    /// decides whether a search may take a second thread; what cannot be told is taken as big.
    func testQueryCostIsTheTermsDocumentCounts() async throws {
        let store = try Store(options: StoreOptions(dataPath: tempDir()))
        let all = docs(400)
        for chunk in stride(from: 0, to: 400, by: 100) { _ = try await store.write(Array(all[chunk..<chunk + 100]), refresh: true) }
        let snap = store.searchSnapshot(try XCTUnwrap(store.index(named: "logs")))
        XCTAssertEqual(snap.segments.count, 4)
        let (stats, df) = Searcher.segmentQueries(snap)
        let jobs = snap.segments.map { (si: 0, sq: SegmentQuery(segment: $0.segment, mapping: snap.mapping, analysis: snap.analysis, stats: stats, defaultField: df)) }
        func query(_ q: String) throws -> Query { try QueryParser.parse(try JSONSerialization.jsonObject(with: Data(q.utf8))) }
        let errors = (0..<400).filter { $0 % 7 == 0 }.count, web1 = (0..<400).filter { $0 % 3 == 1 }.count
        let cases: [(String, Int64?)] = [
            (#"{"match":{"log":"error"}}"#, Int64(errors)),
            (#"{"match":{"log":"error ok"}}"#, 400),
            (#"{"term":{"pod.keyword":"web-1"}}"#, Int64(web1)),
            (#"{"terms":{"pod.keyword":["web-1","nope"]}}"#, Int64(web1)),
            (#"{"bool":{"must":[{"match":{"log":"error"}}],"filter":[{"term":{"pod.keyword":"web-1"}}]}}"#, Int64(errors + web1)),
            (#"{"constant_score":{"filter":{"match":{"log":"absent"}}}}"#, 0),
            (#"{"match_phrase":{"log":"error number"}}"#, nil),
            (#"{"bool":{"must":[{"match":{"log":"error"}}],"filter":[{"range":{"n":{"gte":10}}}]}}"#, nil),
        ]
        for (q, want) in cases {
            XCTAssertEqual(jobs[0].sq.estimatedPostings(try query(q)), want, q)
            var s = Searcher()
            if let w = want {
                s.parallelMinDocs = Int(w); XCTAssertTrue(s.readsEnough(try query(q), jobs), q)
                s.parallelMinDocs = Int(w) + 1; XCTAssertFalse(s.readsEnough(try query(q), jobs), q)
            } else {
                s.parallelMinDocs = Int.max; XCTAssertTrue(s.readsEnough(try query(q), jobs), q)
            }
        }
    }

    /// Numbers and strings written in place read back as the same values.
    func testJSONWriterNumbersAndStringsRoundTrip() throws {
        var rng = SplitMix(seed: 3)
        var ints: [Int64] = [0, 1, -1, 9, 10, -10, Int64.max, Int64.min, 1_700_000_000_000]
        for _ in 0..<200 { ints.append(Int64(bitPattern: rng.next()) >> Int64.random(in: 0..<63, using: &rng)) }
        let strings = ["", "plain", "q\"uote", "back\\slash", "line\nbreak\r\t", "\u{1}\u{1f}", "é 中 😀", "end\\"]
        for v in ints {
            var w = JSONWriter(); w.raw("["); w.int(v); w.raw("]")
            XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "[\(v)]")
        }
        for str in strings {
            var w = JSONWriter(); w.raw("["); w.string(str); w.raw("]")
            let back = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String])
            XCTAssertEqual(back, [str])
        }
    }

    /// The background threads carry their names to the kernel (top -H, ps -L, perf).
    func testBackgroundThreadsAreNamedForTheSystem() async throws {
        #if os(Linux)
        let store = try Store(options: StoreOptions(dataPath: tempDir()))
        store.startBackground()
        _ = try await store.write(docs(10), refresh: true)
        var names: Set<String> = []
        for _ in 0..<50 {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            names = Set(tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) })
            if names.isSuperset(of: ["lp-flush", "lp-merge", "lp-translog"]) { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTAssertTrue(names.isSuperset(of: ["lp-flush", "lp-merge", "lp-translog"]), "\(names.sorted())")
        store.shutdown()
        #endif
    }

    /// Intersections agree with a set intersection whether they merge or gallop.
    func testIntersectProperty() {
        var rng = SplitMix(seed: 4)
        for _ in 0..<400 {
            func list(_ n: Int, _ range: Int) -> [Int32] { Array(Set((0..<n).map { _ in Int32(Int.random(in: 0..<range, using: &rng)) })).sorted() }
            let a = list(Int.random(in: 0..<40, using: &rng), 5000), b = list(Int.random(in: 0..<3000, using: &rng), 5000)
            let expected = Set(a).intersection(b).sorted()
            XCTAssertEqual(DocSets.intersect(a, b), expected)
            XCTAssertEqual(DocSets.intersect(b, a), expected)
        }
    }

    /// A segment's best k by score (equal scores: lower doc first) equals a full sort's first k.
    func testBestScoresEqualsFullSortProperty() {
        var rng = SplitMix(seed: 9)
        for _ in 0..<300 {
            let n = Int.random(in: 0..<200, using: &rng), k = Int.random(in: 1..<30, using: &rng)
            // Few distinct scores, so ties are common.
            let scores = (0..<n).map { _ in Float(Int.random(in: 0..<6, using: &rng)) / 2 }
            let expected = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k).sorted()
            XCTAssertEqual(Searcher.bestScores(scores, k), Array(expected))
        }
    }

    /// Every query gives the same answer on one segment and on many.
    func testQueriesAgreeOnOneAndManySegments() async throws {
        let one = try Store(options: StoreOptions(dataPath: tempDir()))
        _ = try await one.write(docs(200), refresh: true)
        let many = try Store(options: StoreOptions(dataPath: tempDir()))
        let all = docs(200)
        for chunk in stride(from: 0, to: 200, by: 25) { _ = try await many.write(Array(all[chunk..<chunk + 25]), refresh: true) }
        XCTAssertEqual(one.index(named: "logs")!.stats.segments, 1)
        XCTAssertEqual(many.index(named: "logs")!.stats.segments, 8)
        let a = try counts(one), b = try counts(many)
        XCTAssertEqual(a, b)
        // The last two by brute force: a timestamp range narrowing another clause's matches.
        let podAndLate = (0..<200).filter { $0 % 3 == 1 && $0 % 60 >= 30 }.count
        let errorAndEarly = (0..<200).filter { $0 % 7 == 0 && $0 % 60 < 20 }.count
        XCTAssertEqual(a, [200, 29, 67, 40, 90, 57, 133, 200, podAndLate, errorAndEarly])
        // Flushed to disk, then force-merged to one: still the same answers.
        try await many.flushAll()
        XCTAssertEqual(try counts(many), a)
        try await many.forceMerge([many.index(named: "logs")!], maxSegments: 1)
        XCTAssertEqual(many.index(named: "logs")!.stats.segments, 1)
        XCTAssertEqual(try counts(many), a)
        one.shutdown(); many.shutdown()
    }

    /// Version 5 write-buffer segments carry no stored-block dictionary (repeated values go to
    /// the value table); whether a force-merge trains one is SegmentV5Tests' subject.
    func testWriteBufferSegmentsStoreRepeatedValuesInATableNotADictionary() async throws {
        let store = try Store(options: StoreOptions(dataPath: tempDir()))
        _ = try await store.write(docs(12_000), refresh: true)
        _ = try await store.write(docs(12_000), refresh: true)
        let idx = try XCTUnwrap(store.index(named: "logs"))
        let segs = idx.snapshot().segments.map { $0.segment }
        XCTAssertEqual(segs.count, 2)
        try await store.forceMerge([idx], maxSegments: 1)
        let merged = try XCTUnwrap(idx.snapshot().segments.first?.segment)
        XCTAssertEqual(idx.snapshot().segments.count, 1)
        for seg in segs {
            XCTAssertNil(seg.storedDictionaryBytes)
            XCTAssertGreaterThan(seg.valueTableRange.count, 0)
        }
        XCTAssertEqual(merged.formatVersion, SegmentFormat.version)
        XCTAssertEqual(try counts(store)[0], 24_000)
    }

    /// The first search of a search-idle index sees every acknowledged document, also while a
    /// flush has taken the write buffer and is still writing it (after a restart the replayed
    /// buffer is flushed at once, in parallel with the first search).
    func testFirstSearchDuringAFlushSeesEverything() async throws {
        let store = try Store(options: StoreOptions(dataPath: tempDir()))
        for round in 0..<6 {  // several delays, so some search lands in each phase of the flush
            let name = "race-\(round)"
            let ops = docs(20_000).map { WriteOp(action: .index, index: name, id: nil, source: $0.source) }
            _ = try await store.write(ops, refresh: false)
            let idx = try XCTUnwrap(store.index(named: name))
            let flushed = DispatchSemaphore(value: 0)
            DispatchQueue.global().async { try? store.flushAllBlocking(); flushed.signal() }
            // Land the search inside the flush, after it took the buffer (sealing 20,000
            // documents takes far longer than this in any build).
            usleep(UInt32(2_000 * (round % 6)))
            let n = try Searcher().count(.matchAll(boost: 1), [store.searchSnapshot(idx)])
            flushed.wait()
            XCTAssertEqual(n, 20_000, "round \(round)")
        }
    }

    /// The write buffer indexes ids on the first lookup, not per document: documents with
    /// generated ids are still found by id while buffered (get, overwrite, delete), and an
    /// overwrite leaves one live version.
    func testBufferedGeneratedIDsAreFoundByLaterLookups() async throws {
        let store = try Store(options: StoreOptions(dataPath: tempDir()))
        let first = try await store.write((0..<300).map { WriteOp(action: .index, index: "ids", id: nil, source: Array(#"{"n":\#($0)}"#.utf8)) })
        let ids = first.map { try! $0.get().id }
        let idx = try XCTUnwrap(store.index(named: "ids"))
        XCTAssertEqual(try idx.get(id: ids[7])?.source, Array(#"{"n":7}"#.utf8))
        // More generated ids after that first lookup, then lookups reaching them.
        let second = try await store.write((300..<400).map { WriteOp(action: .index, index: "ids", id: nil, source: Array(#"{"n":\#($0)}"#.utf8)) })
        let late = try second[50].get().id
        let over = try await store.write([WriteOp(action: .index, index: "ids", id: late, source: Array(#"{"n":-1}"#.utf8)),
                                          WriteOp(action: .delete, index: "ids", id: ids[299], source: [])])
        XCTAssertEqual(try over[0].get().version, 2)
        XCTAssertEqual(try over[1].get().outcome, .deleted)
        XCTAssertEqual(try idx.get(id: late)?.source, Array(#"{"n":-1}"#.utf8))
        XCTAssertNil(try idx.get(id: ids[299]))
        try store.refresh(idx)
        XCTAssertEqual(try Searcher().count(.matchAll(boost: 1), [store.searchSnapshot(idx)]), 399)
    }

    /// A refreshed write buffer is let go: the writer slots' path caches held the last buffer's
    /// fields (terms, postings) of every index written once, 200 MB at 30 daily indices.
    func testRefreshLetsGoOfTheWriteBuffer() async throws {
        let store = try Store(options: StoreOptions(dataPath: tempDir()))
        _ = try await store.write((0..<200).map { WriteOp(action: .index, index: "day-\($0 % 3)", id: nil, source: Array(#"{"msg":"line \#($0)","k":"v\#($0 % 7)"}"#.utf8)) })
        weak var field: SegmentBuilder.FieldBuilder?
        for (name, expected) in [("day-0", 67), ("day-1", 67), ("day-2", 66)] {
            let idx = try XCTUnwrap(store.index(named: name))
            let held = idx.slots.flatMap { slot in slot.cache.entries.flatMap { $0.targets.compactMap { $0.field } } }
            XCTAssertFalse(held.isEmpty, "the write went through the path cache")
            field = held.first
            try store.refresh(idx)
            for slot in idx.slots { XCTAssertTrue(slot.cache.entries.allSatisfy { $0.targets.allSatisfy { $0.field == nil } }) }
            XCTAssertEqual(try Searcher().count(.matchAll(boost: 1), [store.searchSnapshot(idx)]), expected)
        }
        XCTAssertNil(field, "the last buffer's fields are freed once refreshed")
    }

    /// An index no search has used for a while gives back the mapped pages searches touched.
    func testIdleIndexGivesBackTouchedPages() async throws {
        let store = try Store(options: StoreOptions(dataPath: tempDir()))
        _ = try await store.write((0..<3000).map { WriteOp(action: .index, index: "quiet", id: nil, source: Array(#"{"msg":"line \#($0) of a quiet day","k":"v\#($0 % 7)"}"#.utf8)) })
        let idx = try XCTUnwrap(store.index(named: "quiet"))
        try await store.flushAll()
        let seg = try XCTUnwrap(idx.diskSegments.first)
        // The segment's own file name (its folder may be named through a symlink in smaps).
        let fileName = "/" + (try XCTUnwrap(seg.path).split(separator: "/").last.map(String.init) ?? "")
        func residentKB() throws -> Int {
            // /proc files report size 0: read to the end rather than by size.
            let smaps = String(decoding: try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/smaps")).readDataToEndOfFile(), as: UTF8.self)
            var inFile = false, total = 0
            for line in smaps.split(separator: "\n") {
                if let first = line.first, first.isHexDigit, line.contains("-") { inFile = line.hasSuffix(fileName) }
                else if inFile, line.hasPrefix("Rss:") { total += Int(line.split(separator: " ")[1]) ?? 0 }
            }
            return total
        }
        for d in 0..<seg.docCount { _ = try seg.document(d) }
        XCTAssertEqual(try Searcher().count(.matchAll(boost: 1), [store.searchSnapshot(idx)]), 3000)
        let term = try QueryParser.parse(["term": ["k.keyword": "v3"]])
        let v3 = (0..<3000).filter { $0 % 7 == 3 }.count
        XCTAssertEqual(try Searcher().count(term, [store.searchSnapshot(idx)]), v3)
        XCTAssertGreaterThan(try residentKB(), 0, "the search touched the mapped file")
        XCTAssertGreaterThan(seg.decodedCount, 0, "the term query decoded a dictionary")
        let searched = idx.lock.withLock { idx.lastSearchNanos }
        store.releaseIdlePages(now: searched + Limits.searchIdleNanos - 1)
        XCTAssertGreaterThan(try residentKB(), 0, "not idle yet")
        XCTAssertGreaterThan(seg.decodedCount, 0, "not idle yet")
        store.releaseIdlePages(now: searched + Limits.searchIdleNanos)
        XCTAssertEqual(try residentKB(), 0)
        // The decoded structures went too, and come back when searched again.
        XCTAssertEqual(seg.decodedCount, 0)
        XCTAssertEqual(try Searcher().count(term, [store.searchSnapshot(idx)]), v3)
        // Still readable: the pages come back from the page cache.
        XCTAssertEqual(try seg.document(0).source, Array(#"{"msg":"line 0 of a quiet day","k":"v0"}"#.utf8))
    }

    /// An index no write touches for `idleMergeAfterMillis` is merged to one segment, with the
    /// same documents and answers; a written one is not; and only once per process.
    func testIdleIndexIsMergedToOneSegmentOnce() async throws {
        var opts = StoreOptions(dataPath: tempDir())
        opts.idleMergeAfterMillis = 1500
        let store = try Store(options: opts)
        for round in 0..<3 {   // three flushes: three segments, below any merge tier
            _ = try await store.write(docs(200).map { WriteOp(action: .index, index: "quiet", id: nil, source: $0.source) })
            _ = try await store.write(docs(10).map { WriteOp(action: .index, index: "busy", id: nil, source: $0.source) })
            try await store.flushAll()
            _ = round
        }
        let quiet = try XCTUnwrap(store.index(named: "quiet")), busy = try XCTUnwrap(store.index(named: "busy"))
        XCTAssertEqual(quiet.lock.withLock { quiet.diskSegments.count }, 3)
        let before = try Self.queries.map { try Searcher().count(QueryParser.parse(JSONSerialization.jsonObject(with: Data($0.utf8))), [store.searchSnapshot(quiet)]) }
        store.startBackground()
        defer { store.shutdown() }
        // `busy` keeps being written; `quiet` goes idle and is merged after 1.5 s.
        let start = Date()
        while quiet.lock.withLock({ quiet.diskSegments.count }) > 1 && Date().timeIntervalSince(start) < 20 {
            _ = try await store.write(docs(1).map { WriteOp(action: .index, index: "busy", id: nil, source: $0.source) })
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        XCTAssertEqual(quiet.lock.withLock { quiet.diskSegments.count }, 1)
        XCTAssertGreaterThan(busy.lock.withLock { busy.diskSegments.count }, 1)
        let after = try Self.queries.map { try Searcher().count(QueryParser.parse(JSONSerialization.jsonObject(with: Data($0.utf8))), [store.searchSnapshot(quiet)]) }
        XCTAssertEqual(before, after)
        XCTAssertEqual(after[0], 600)
        // Written again and idle again: not merged a second time (a late document would
        // otherwise rewrite a whole day each time).
        _ = try await store.write(docs(5).map { WriteOp(action: .index, index: "quiet", id: nil, source: $0.source) })
        try await store.flushAll()
        try await Task.sleep(nanoseconds: 2_500_000_000)
        XCTAssertEqual(quiet.lock.withLock { quiet.diskSegments.count }, 2)
    }

    /// A force-merge to one segment leaves one segment also while background merges run on
    /// the same index (they once raced: the merge that finished second dropped its work).
    func testForceMergeWhileBackgroundMergesRunLeavesOneSegment() async throws {
        var opts = StoreOptions(dataPath: tempDir())
        opts.flushBufferedBytes = 48 * 1024
        let store = try Store(options: opts)
        store.startBackground()
        defer { store.shutdown() }
        for round in 0..<3 {
            let name = "fm-\(round)"
            for _ in 0..<30 {
                _ = try await store.write(docs(500).map { WriteOp(action: .index, index: name, id: nil, source: $0.source) })
                try await Task.sleep(nanoseconds: 15_000_000)   // let the flush loop cut a segment
            }
            let idx = try XCTUnwrap(store.index(named: name))
            // Thirty flushes: background merges (ten at a time) have run or are running; how far
            // they got by now depends on timing, so only "something left to merge" is asserted.
            XCTAssertGreaterThan(idx.lock.withLock { idx.diskSegments.count }, 1, "round \(round)")
            try await store.forceMerge([idx], maxSegments: 1)
            XCTAssertEqual(idx.lock.withLock { idx.diskSegments.count }, 1, "round \(round)")
            XCTAssertEqual(try Searcher().count(.matchAll(boost: 1), [store.searchSnapshot(idx)]), 15_000)
        }
    }

    /// A write that leaves the buffers due for a flush wakes the flush loop at once (it used to
    /// find out at its next 50 ms poll); one that does not leaves it asleep, and without a
    /// running loop nobody is woken.
    func testAWriteThatFillsTheBuffersWakesTheFlushLoop() async throws {
        var opts = StoreOptions(dataPath: tempDir())
        opts.flushBufferedBytes = 16 * 1024
        let store = try Store(options: opts)
        _ = try await store.write(docs(20))   // about 2 KB: not due
        XCTAssertEqual(store.pressure.wake.wait(timeout: .now()), .timedOut)
        _ = try await store.write(docs(400))  // past 16 KB, but no flush loop is running
        XCTAssertEqual(store.pressure.wake.wait(timeout: .now()), .timedOut)
        store.pressure.active = true          // as the running loop sets it
        _ = try await store.write(docs(1))
        XCTAssertGreaterThanOrEqual(store.totalBufferedBytes, opts.flushBufferedBytes)
        XCTAssertEqual(store.pressure.wake.wait(timeout: .now()), .success)
        store.pressure.active = false
        store.shutdown()
    }

    /// Generated ids: unique, 20 URL-safe characters, and the same node part (last 8
    /// characters) for one process, so sorted ids share long prefixes.
    func testGeneratedIDsAreUniqueWithOneNodePart() {
        let ids = (0..<50_000).map { _ in IDGenerator.next() }
        XCTAssertEqual(Set(ids).count, ids.count)
        XCTAssertTrue(ids.allSatisfy { $0.utf8.count == 20 && $0.utf8.allSatisfy { c in c == 45 || c == 95 || (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) } })
        XCTAssertEqual(Set(ids.map { $0.suffix(8) }).count, 1)
        // The first 8 characters carry the generation time in milliseconds (48 bits), the
        // next 4 the counter, which moves by one per id.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        func bits(_ id: String, _ r: Range<Int>) -> UInt64 {
            Array(id.utf8)[r].reduce(UInt64(0)) { $0 << 6 | UInt64(alphabet.firstIndex(of: $1)!) }
        }
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        XCTAssertLessThan(now - bits(ids.last!, 0..<8), 60_000)
        XCTAssertEqual((bits(ids[0], 8..<12) + 1) & 0xFFFFFF, bits(ids[1], 8..<12))
    }

    func testReplayAfterUnflushedWritesAndDeletedIndexStaysDeleted() async throws {
        let dir = tempDir()
        do {
            let s = try Store(options: StoreOptions(dataPath: dir))
            _ = try await s.write(docs(50))
            _ = try await s.write([WriteOp(action: .index, index: "gone", id: "x", source: Array(#"{"a":1}"#.utf8))])
            try s.deleteIndex("gone")
            s.translog.close()   // no flush: everything must come back from the translog
        }
        let s = try Store(options: StoreOptions(dataPath: dir))
        XCTAssertEqual(s.recoveryReport.ops, 51)
        XCTAssertEqual(s.index(named: "logs")?.stats.docs, 50)
        XCTAssertNil(s.index(named: "gone"))
        s.shutdown()
    }

    /// Requests whose records go to the translog in several parts, two at once: every
    /// acknowledged record comes back, each request's in the order it was written.
    func testRequestsLoggedInPartsComeBackWhole() async throws {
        let dir = tempDir()
        let pad = String(repeating: "x", count: 700)
        @Sendable func big(_ tag: String) -> [WriteOp] {
            (0..<2_500).map { i in WriteOp(action: .index, index: "logs", id: "\(tag)-\(i)", source: Array(#"{"n":\#(i),"pad":"\#(pad)"}"#.utf8)) }
        }
        XCTAssertGreaterThan(2_500 * 720, 3 * Limits.translogChunkBytes)
        do {
            let s = try Store(options: StoreOptions(dataPath: dir))
            async let a = s.write(big("a"))
            async let b = s.write(big("b"))
            let (ra, rb) = try await (a, b)
            XCTAssertTrue((ra + rb).allSatisfy { if case .success = $0 { return true }; return false })
            s.translog.close()   // no flush: everything must come back from the translog
        }
        var ops: [TranslogOp] = []
        _ = try TranslogReader.replay(dir: dir + "/" + FileNames.translogDir) { ops.append($0) }
        XCTAssertEqual(ops.count, 5_000)
        for tag in ["a", "b"] {
            let mine = ops.filter { $0.id.hasPrefix(tag + "-") }
            XCTAssertEqual(mine.map(\.id), (0..<2_500).map { "\(tag)-\($0)" })
            XCTAssertEqual(mine.map(\.seq), mine.map(\.seq).sorted())
        }
        let s = try Store(options: StoreOptions(dataPath: dir))
        XCTAssertEqual(s.recoveryReport.ops, 5_000)
        XCTAssertEqual(s.index(named: "logs")?.stats.docs, 5_000)
        s.shutdown()
    }

    /// A translog ticket settles its waiter whether the write finishes before or after the wait.
    func testTranslogTicketSettlesEitherWay() async throws {
        let early = TranslogTicket()
        early.complete(.success(()))
        try await early.wait()
        let late = TranslogTicket()
        async let waited: Void = late.wait()
        try await Task.sleep(nanoseconds: 10_000_000)
        late.complete(.failure(EngineError.io(path: "x", reason: "test")))
        do { try await waited; XCTFail("the failure must reach the waiter") } catch EngineError.io {}
    }

    /// A translog operation the index refuses on replay is logged and counted, and the other
    /// operations still come back (it used to vanish without a word).
    func testReplayLogsAnOperationItCannotApply() async throws {
        let dir = tempDir()
        do {
            let s = try Store(options: StoreOptions(dataPath: dir))
            _ = try await s.write(docs(3))
            let uuid = try XCTUnwrap(s.index(named: "logs")).uuid
            var framed = ByteWriter(capacity: 256)
            Translog.appendFramed(TranslogOp(kind: .index, seq: 100, indexUUID: uuid, id: "broken-1", version: 1, autoID: false,
                                             source: Array("not json".utf8)), to: &framed)
            try await s.translog.append(framed.bytes)
            _ = try await s.write(docs(2))
            s.translog.close()
        }
        let lines = LockedLines()
        let s = try Store(options: StoreOptions(dataPath: dir), log: { lines.append($0) })
        XCTAssertEqual(s.recoveryReport.ops, 6)
        XCTAssertEqual(s.recoveryReport.skipped, 1)
        XCTAssertEqual(s.index(named: "logs")?.stats.docs, 5)
        XCTAssertTrue(lines.all.contains { $0.contains("operation 100") && $0.contains("broken-1") && $0.contains("could not be replayed") }, "\(lines.all)")
        s.shutdown()
    }

    /// A search holding a snapshot finishes on the deleted index's files; new searches cannot
    /// find the index; the files go when the last holder lets go.
    func testDeleteWhileSearchedKeepsFilesUntilReleased() async throws {
        let dir = tempDir()
        let s = try Store(options: StoreOptions(dataPath: dir))
        _ = try await s.write(docs(100))
        try await s.flushAll()
        let idx = try XCTUnwrap(s.index(named: "logs"))
        var snap: IndexSnapshot? = s.searchSnapshot(idx)
        let file = try XCTUnwrap(snap?.segments.first?.segment.path)
        try s.deleteIndex("logs")
        XCTAssertNil(s.index(named: "logs"))
        XCTAssertThrowsError(try s.resolve("logs"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: file))
        let q = try QueryParser.parse(["match": ["log": "error"]])
        XCTAssertEqual(try Searcher().count(q, [snap!]), 15)
        snap = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: file))
        s.shutdown()
    }

    func testRetentionPlannerRules() {
        let day: Int64 = 86_400_000
        let now = DateParser.parseISO("2024-01-20T12:00:00Z")!
        let c = ["logstash-2024.01.01", "logstash-2024.01.12", "logstash-2024.01.13", "logstash-2024.01.20", "logstash-2030.01.01", "logstash-x", "other-2024.01.01"]
            .map { RetentionPlanner.Candidate(name: $0, creationDate: now - 2 * day, bytes: 10) }
        var cfg = RetentionConfig()
        cfg.policies = [RetentionPolicy(pattern: "logstash-*", maxAgeMillis: 7 * day)]
        var logged: [String] = []
        let d = RetentionPlanner.plan(c, config: cfg, now: now) { logged.append($0) }
        XCTAssertEqual(d.map(\.name), ["logstash-2024.01.01", "logstash-2024.01.12", "logstash-2024.01.13"])   // 01.13 00:00 is 7.5 days before now
        XCTAssertEqual(logged.count, 2)   // the undated and the future index are left alone, and said so
        XCTAssertEqual(RetentionPlanner.dateInName("app-2024-01-05", timestring: "%Y-%m-%d"), DateParser.parseISO("2024-01-05"))
        XCTAssertEqual(RetentionPlanner.dateInName("x-2024.13.01", timestring: "%Y.%m.%d"), nil)
    }

    func testTranslogV1Fixture() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/translog-v1.tlog")
        if ProcessInfo.processInfo.environment["LOGPOND_WRITE_FIXTURES"] == "1" {
            var w = ByteWriter()
            w.u32(Translog.magic); w.u16(Translog.version); w.u16(0); w.u64(1); w.u32(Checksum.crc32(w.bytes))
            for i in 1...3 {
                var p = ByteWriter()
                TranslogOp(kind: i == 3 ? .delete : .index, seq: Int64(i), indexUUID: "uuid-1", id: "doc\(i == 3 ? 1 : i)", version: 1,
                           autoID: false, source: i == 3 ? [] : Array(#"{"n":\#(i)}"#.utf8)).encode(into: &p)
                w.append(Translog.frame(p.bytes))
            }
            try Data(w.bytes).write(to: fixture)
        }
        let dir = tempDir()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.path, toPath: dir + "/" + FileNames.translog(generation: 1))
        var ops: [TranslogOp] = []
        let report = try TranslogReader.replay(dir: dir) { ops.append($0) }
        XCTAssertEqual(report.ops, 3)
        XCTAssertTrue(report.truncated.isEmpty)
        XCTAssertEqual(ops.map(\.id), ["doc1", "doc2", "doc1"])
        XCTAssertEqual(ops.map(\.kind), [.index, .index, .delete])
        XCTAssertEqual(ops[1].source, Array(#"{"n":2}"#.utf8))
        // header 20 + two index records (8 + 24) + one delete record (8 + 17)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: fixture.path)[.size] as? Int, 109)
    }
}

/// Log lines collected from the store's threads.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ l: String) { lock.withLock { lines.append(l) } }
    var all: [String] { lock.withLock { lines } }
}

/// Index expressions' parts are trimmed as Foundation's `trimmingCharacters(in: .whitespaces)`
/// trims them, ASCII fast path or not.
final class TargetExpressionTests: XCTestCase {
    func testTrimmedAgreesWithFoundationProperty() {
        var g = SplitMix(seed: 17)
        let alphabet: [String] = [" ", "\t", "a", "*", "-", "_", "é", "\u{00A0}", "\u{2003}", "\n", "日"]
        for _ in 0..<3000 {
            let n = Int(g.next() % 9)
            let s = (0..<n).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] }.joined()
            XCTAssertEqual(Store.trimmed(Substring(s)), s.trimmingCharacters(in: .whitespaces), "\(Array(s.unicodeScalars))")
        }
        XCTAssertEqual(Store.trimmed(" \tlogstash-* "), "logstash-*")
        XCTAssertEqual(Store.trimmed("  "), "")
    }
}
