import Foundation

/// Every limit and tunable of the engine, each with the reason for its value.
public enum Limits {
    /// Elasticsearch caps index names at 255 bytes; clients rely on the same rule.
    public static let maxIndexNameBytes = 255
    /// Documents bigger than this are refused per item; a single log line is never this big and
    /// one translog record must fit comfortably in memory.
    public static let maxDocumentBytes = 64 * 1024 * 1024
    /// Default cap on a (decompressed) request body: Elasticsearch's http.max_content_length.
    public static let defaultMaxContentLength = 100 * 1024 * 1024
    /// Elasticsearch's index.max_result_window: from + size beyond it is an error.
    public static let maxResultWindow = 10_000
    /// Stored `_source` block size before compression (of the encoded sources, version 5):
    /// repetition across blocks is in the value table, and 64 KiB keeps fetching one hit cheap.
    public static let storedBlockBytes = 64 * 1024
    /// Largest stored-block zstd dictionary a reader accepts. Versions 3 and 4 trained one per
    /// segment (up to 1 MB); version 5 writers use none: with repeated values in the value
    /// table the blocks came out smaller without (one day of the benchmark: 6.58 MB of blocks
    /// and no dictionary against 6.53 MB plus a 1 MB dictionary).
    public static let storedDictionaryBytes = 1024 * 1024
    /// A force-merge trains a dictionary (up to 1 MB, a 32nd of the source) only when the
    /// encoded sources are still above this percentage of the raw ones. One benchmark day
    /// encodes to 21% (repeated messages in the table: blocks smaller without a dictionary);
    /// with only the `kubernetes` objects tabled, as unique messages would leave it, 64 KiB
    /// blocks at level 9 took 19.6 MB without a dictionary against 15.1 MB with one in
    /// format 4 (Benchmarks/value_table.py).
    public static let storedDictionaryEncodedShare = 35
    /// Documents and bytes sampled for that decision and the training.
    public static let storedDictionarySampleDocs = 20_000
    public static let storedDictionarySampleBytes = 16 * 1024 * 1024
    /// Fewer documents than this give zstd's trainer too few samples to be worth it.
    public static let storedDictionaryMinDocs = 1024
    /// A dictionary above 1/32 of the source costs more than it saves (measured in format 4:
    /// 256 KB → 14.0 MB of blocks, 1 MB → 12.0 MB, 2 MB → 11.4 MB for one day).
    public static let storedDictionaryShare = 32
    /// Shortest top-level `_source` value replaced by a reference into the segment's value
    /// table: a reference takes 2–4 bytes and zstd already finds short repeats.
    public static let sourceValueMinBytes = 16
    /// Values hashed in the first pass over a segment's sources (8 bytes each): bounds the
    /// pass's memory at 32 MB; later values of a bigger segment are not tabled.
    public static let sourceValueScanMaxValues = 4_000_000
    /// Most entries and bytes of one segment's value table: readers hold the decoded table in
    /// memory while the segment is open (one day of the benchmark corpus: 30k values, 4.4 MB).
    public static let maxSourceValues = 1_000_000
    public static let maxSourceValueTableBytes = 32 * 1024 * 1024
    /// Raw bytes per zstd frame of a format 6 value table: a fetch decodes one such chunk, not
    /// the table (a day's table was 2 MB, decoded per segment for every page of hits). Chunks
    /// of 64 KB doubled a day's table on disk (479 KB in one frame, 972 KB in chunks).
    public static let sourceValueChunkBytes = 256 * 1024
    /// Decoded value-table chunks kept across fetches, all segments together.
    public static let sourceValueChunkCacheBytes = 8 * 1024 * 1024
    /// Text values cached per field and write buffer with their analyzed tokens (issue 17):
    /// values between these lengths (shorter ones tokenize as fast as they hash; longer ones
    /// are messages, which rarely repeat whole).
    public static let tokenCacheMinValueBytes = 8
    public static let tokenCacheMaxValueBytes = 2048
    /// Entries and bytes per field before its cache starts again (a buffer holds a few
    /// thousand documents; a pod's values recur throughout it).
    public static let tokenCacheEntries = 512
    public static let tokenCacheBytes = 256 * 1024
    /// Objects directly under a document's root with fewer events than this are indexed value
    /// by value: a shorter key costs about what it saves (`ObjectMemo`).
    public static let objectMemoMinEvents = 4
    /// Objects and bytes remembered per write buffer (a buffer holds a few thousand records
    /// of a few hundred pods; a seed-shaped pod's entry is about 2 KB).
    public static let objectMemoEntries = 2048
    public static let objectMemoBytes = 2 * 1024 * 1024
    /// Lookups after which a buffer whose objects hit less than a quarter of the time stops
    /// remembering them (objects carrying a request id never repeat).
    public static let objectMemoProbe = 256
    /// Lookups after which a field whose values hit the cache less than a quarter of the time
    /// stops caching for the rest of the buffer (unique messages pay a hash and no more).
    public static let tokenCacheProbe = 512
    /// Keyword fields a segment writer keeps (4 bytes per document each) as keys other keyword
    /// fields may derive from: the first ones in name order with at least two terms.
    public static let maxDerivationKeys = 4
    /// Decoded stored blocks kept across searches (all segments together): a page of hits
    /// fetched again, or the next page, decompresses nothing; 128 blocks of 64 KiB.
    public static let storedBlockCacheBytes = 8 * 1024 * 1024
    /// Decoded postings of common terms kept across searches (all segments together), with
    /// their doc ids and where each document's positions start: a phrase with a common word
    /// spent half its time decompressing and walking that word's list on every run.
    public static let postingsCacheBytes = 8 * 1024 * 1024
    /// Lists with fewer documents than this are decoded per search (cheap) and not cached.
    public static let postingsCacheMinDocs: Int32 = 4096
    /// Longest `_id` read back from a stored block (Elasticsearch refuses ids over 512 bytes).
    public static let maxStoredIDBytes = 4096
    /// A term's postings are zstd-compressed when at least this long and when that saves an
    /// eighth or more; shorter lists are not worth a frame header and a decompression.
    public static let postingsCompressMinBytes = 256
    /// Bytes of varints one term's postings are encoded in before they are appended: bounds the
    /// scratch of a term in every record of a day (10 MB when sized for the whole term).
    public static let postingsScratchBytes = 256 * 1024
    /// Most documents per stored block, so a fetch never decompresses a huge block of tiny docs.
    public static let storedBlockMaxDocs = 1024
    /// zstd level for stored blocks and columns: level 3 is zstd's default speed/ratio balance.
    public static let zstdLevel: Int32 = 3
    /// zstd level of a sealed write buffer (stored blocks and columns): merges rewrite those
    /// segments at `zstdLevel` within seconds under sustained ingest, and zstd at level 3 was
    /// a fifth of the seal's CPU on seed-shaped records (issue 17).
    public static let sealZstdLevel: Int32 = 1
    /// zstd level for the stored blocks a force-merge writes: the index is done being written
    /// (Elasticsearch's advice for force-merge), so spend compression time once for good. On
    /// 191 MB of benchmark source with a 1 MB dictionary: level 3 → 14.6 MB, 6 → 12.8 MB,
    /// 9 → 12.0 MB at about half level 3's speed; decompression speed does not depend on it.
    public static let forceMergeStoredLevel: Int32 = 9
    /// A write request's translog records are queued in parts of about this many bytes, so the
    /// first parts are written and synced while the rest are indexed (a 2,000-record bulk of
    /// container logs is about 2.5 MB: five parts).
    public static let translogChunkBytes = 512 * 1024
    /// A search over several segments holding at least this many documents evaluates them in
    /// parallel (one task per segment); below it the dispatch costs more than it saves. The
    /// same bound applies to the postings a query is estimated to read (`SearchCost.swift`): a
    /// rare word over a million documents waited on the second thread's wake-up longer than
    /// its segments took.
    public static let parallelSearchMinDocs = 100_000
    /// Default refresh interval (Elasticsearch's index.refresh_interval default, 1s).
    public static let defaultRefreshIntervalMillis = 1000
    /// Flush (write in-memory segments to disk and trim the translog) once this many bytes of
    /// source are buffered in memory for all indices together: bounds memory and replay time.
    /// Measured on 1M documents (docs/benchmarks.md): 32 MB → 273 MB peak RSS, 16 MB → 213 MB,
    /// 8 MB → 186 MB, at the same ingest rate (merges no longer re-index, so more segments are cheap).
    /// With format 5 and the faster indexer (three runs each, peak RSS / docs/s): 6 MB 208–246 MB
    /// / 107–114k, 4 MB 187–202 MB / 99–108k: the peak grows with ingest speed. Indexing
    /// pressure (below) now bounds what piles up, so the larger buffer was kept for speed.
    /// With the object memo (sixteenth session) a month (10M records, 30 days) at 6 MB peaked
    /// at 218 MB and 90k docs/s, at 4 MB at 190 MB and 97k docs/s; 1M records three rounds
    /// each: 6 MB 103–107k / 156–162 MB, 4 MB 99–111k / 145–159 MB.
    public static let flushBufferedBytes = 4 * 1024 * 1024
    /// Write requests wait for the background flush while the write buffers of all indices
    /// hold more source than this (Elasticsearch's indexing pressure, which answers 429
    /// instead), at most for this many flushes in a row. With 6 MB flushes, 1M documents
    /// (docs/s / peak RSS): 12 MB 96–100k / 162–173 MB, 14 MB 99–105k / 176–177 MB, 16 MB
    /// 106–109k / 186–209 MB; without it 107–114k / 208–246 MB. Since the flush loop is woken
    /// by the filling write (fifth session) the limit is rarely reached: 14 MB 113–130k /
    /// 142–153 MB, 10 MB 119–123k / 144–164 MB (the peak is no longer the write buffers).
    /// The same 8 MB over the flush threshold since that moved to 4 MB.
    public static let indexingPressureBytes = 12 * 1024 * 1024
    /// How many flushes a request waits for while the buffers stay over that limit before it
    /// is refused with 429 (it was let in, so a stuck flush grew the buffers without bound).
    public static let indexingPressureMaxWaits = 20
    /// The memory Logpond plans for when nothing is configured (`logpond.memory.budget`):
    /// Elasticsearch's shares of its heap are taken of this. A quarter of the machine's (or
    /// cgroup's) memory, between 256 MB and 2 GB: the heap of the Elasticsearch it replaces.
    public static let memoryBudgetMinBytes: Int64 = 256 << 20
    public static let memoryBudgetMaxBytes: Int64 = 2 << 30
    /// `indexing_pressure.memory.limit` default: 10% of the budget, as Elasticsearch's of heap.
    public static let indexingPressureShare = 0.10
    /// `indices.breaker.request.limit` default: 60%, Elasticsearch's.
    public static let requestBreakerShare = 0.60
    /// `network.breaker.inflight_requests.limit` default: 100%, Elasticsearch's.
    public static let inflightBreakerShare = 1.0
    /// Bytes the translog writer may have queued before appends are refused (429): in-flight
    /// requests bound it already; this bounds callers that skip indexing pressure.
    public static let translogQueueMaxBytes = 512 * 1024 * 1024
    /// Free heap pages go back to the system once no flush has run for this long (writes
    /// paused), not after each flush of a sustained ingest.
    public static let trimAfterIdleNanos: UInt64 = 1_000_000_000
    /// Flush at least this often so the translog does not grow without bound on quiet servers.
    public static let flushIntervalMillis = 30_000
    /// In-memory (refreshed, unflushed) segments per index before they are merged in memory.
    public static let maxMemorySegmentsPerIndex = 8
    /// A merge writes its output to the file in pieces of this size instead of holding it
    /// whole (a merge of 190k documents held 15–20 MB at the ingest peak).
    public static let segmentSpillBytes = 1024 * 1024
    /// Translog operations that fail on replay are each logged up to this many, then counted:
    /// one line per failure is what an operator needs, a million identical lines is not.
    public static let replayFailuresLogged = 20
    /// An index no write has touched for 5 minutes (Elasticsearch's
    /// `indices.memory.shard_inactive_time`) is merged to one segment, once: yesterday's daily
    /// index kept the ten-odd segments of its tiers, and every search decoded each one's term
    /// dictionaries, the same words ten times over (issue 17: 273 segments over 30 days).
    public static let idleMergeAfterMillis = 300_000
    /// Tiered merge policy: segments per size tier before the tier is merged into one.
    public static let mergeFactor = 10
    /// A tier's segments lie within this factor of its smallest: write-buffer segments vary
    /// by about 2×, a merged one is mergeFactor× bigger. With the old spread of mergeFactor a
    /// merged segment of v5's smaller files was rewritten with the next nine small ones.
    public static let mergeTierSpread = 3
    /// Segments smaller than this count as this size for tiers (time-triggered flushes of a
    /// quiet index write tiny ones that should merge with the rest).
    public static let mergeFloorBytes = 256 * 1024
    /// Segments above this size are never merged by the background policy (force-merge still
    /// can). A merge builds its output in memory, so this also bounds a merge's memory.
    public static let maxMergedSegmentBytes: Int64 = 256 * 1024 * 1024
    /// Largest translog record accepted on replay; a larger length field means corruption.
    public static let maxTranslogRecordBytes = maxDocumentBytes + 64 * 1024
    /// Roll the translog to a new generation file past this size.
    public static let translogGenerationBytes: Int64 = 256 * 1024 * 1024
    /// Bounds checked when reading segment files: a count or length beyond these is corruption.
    public static let maxSegmentDocs = 1 << 30
    public static let maxTermBytes = 32 * 1024
    public static let maxFieldsPerSegment = 100_000
    public static let maxSectionBytes: Int64 = 1 << 40
    /// Longest dotted field path a document may introduce: a segment's field directory stores
    /// names read back under `maxTermBytes`, and a 70 KB name once made a sealed buffer
    /// impossible to reopen (its documents, already acknowledged, were lost).
    public static let maxFieldPathBytes = 4096
    /// Elasticsearch's limit on `_id` (bytes of UTF-8).
    public static let maxIDBytes = 512
    /// Documents one `_mget` may ask for: each is a realtime get under the index lock, and the
    /// answer is built in memory (Elasticsearch has no limit but its request size).
    public static let maxMgetDocs = 10_000
    /// The largest Forward message taken (Fluent Bit's chunks are at most a few MB; a message
    /// is held whole until its events are written): as `http.max_content_length`'s default.
    public static let maxForwardMessageBytes = 100 * 1024 * 1024
    /// The largest first Forward message when a shared key is set: it must be the PING (a few
    /// hundred bytes), and until it proves the key a client may not make the server buffer more.
    public static let maxForwardHandshakeBytes = 64 * 1024
    /// The latest Forward event time taken, in seconds: event times are held as nanoseconds in an
    /// Int64, which ends at 2262-04-11T23:47:16Z; a later time is refused, not wrapped.
    public static let maxForwardEventSeconds: Int64 = Int64.max / 1_000_000_000 - 1
    /// Live tail (`/_logpond/tail`): matches looked at per second, ids remembered so none is
    /// sent twice, and how long one page may take to write before the reader is dropped.
    public static let tailPage = 500
    public static let tailRememberedIDs = 50_000
    public static let tailSlowReaderSeconds = 10.0
    /// Documents per batch of `_delete_by_query` (Elasticsearch's scroll_size default).
    public static let deleteByQueryBatch = 1_000
    /// Lucene's largest indexed term (bytes): a longer keyword value refuses the document
    /// unless `ignore_above` drops the value first.
    public static let maxKeywordTermBytes = 32_766
    /// Elasticsearch's dynamic string mapping: `.keyword` sub-field ignores longer values.
    public static let dynamicKeywordIgnoreAbove = 256
    /// `index.creation_date` given at creation: epoch milliseconds from 1970 to the end of
    /// 9999 (dates are formatted and aged by it; Elasticsearch's date range ends there too).
    public static let maxCreationDateMillis: Int64 = 253_402_300_799_999
    /// Elasticsearch's index.mapping.total_fields.limit default.
    public static let totalFieldsLimit = 1000
    /// Elasticsearch's index.mapping.depth.limit default.
    public static let mappingDepthLimit = 20
    /// Elasticsearch's indices.query.bool.max_clause_count default.
    public static let maxClauseCount = 4096
    /// Most terms a wildcard/prefix expansion may visit before the query is refused.
    public static let maxTermExpansions = 65_536
    /// Elasticsearch's index.search.idle.after (30s): an index not searched for this long is
    /// not refreshed on schedule; the next search refreshes it first.
    public static let searchIdleNanos: UInt64 = 30_000_000_000
    /// `logpond.search.memory_budget` default: mapped pages and decoded structures searches
    /// keep between requests. Issue 17 asks for 150 MB of RSS after a month's searches; the
    /// process itself idles near 75 MB (its code, the catalog, write buffers), so searches get 64 MB.
    public static let searchMemoryBytes = 64 << 20
    /// How often a search's end reads the process's resident file pages for the search memory
    /// budget (`SearchMemory`): a millisecond of searches faults in little next to a budget.
    public static let searchMemoryFileCheckNanos: UInt64 = 1_000_000
    /// Parallel write buffers per index: documents with generated ids are indexed by two
    /// threads at once. Measured on 300k documents with 2 senders: 82k docs/s against 63k for one
    /// slot at the same peak RSS (170 MB), once merges stopped re-indexing in memory.
    public static let writerSlots = 2
    /// Elasticsearch's search.max_buckets: buckets in one response.
    public static let maxBuckets = 65_536
    /// Deepest nesting of objects and arrays in a request body (queries, aggregations,
    /// mappings, settings): the DSL parsers recurse once per level and must stay far from the
    /// stack's end. The deepest real request seen (a Grafana query with nested bool filters
    /// and four levels of aggregations) is under 40; Jackson's default is 1000.
    public static let maxRequestJSONDepth = 100
    /// Distinct field paths one write slot's path cache remembers before it starts again: a
    /// mapping holds at most `totalFieldsLimit` (1000) fields, so only paths that are never
    /// indexed (under `dynamic: false` or disabled objects) can pass it, and those must not
    /// grow memory without end.
    public static let pathCacheEntries = 4096
    /// A verified `Authorization` header is trusted this long without bcrypt again (5 min;
    /// removing a user or changing a password clears the cache at once).
    public static let authCacheNanos: UInt64 = 300_000_000_000
    /// Verified headers remembered at most (the cache empties past it).
    public static let authCacheEntries = 10_000
    /// A `_security/api_key` request body: a name, a role, an expiration and some metadata
    /// need a few hundred bytes; nothing legitimate comes near 64 KiB.
    public static let maxSecurityBody = 64 * 1024
    /// Elasticsearch's own limit on a native-realm user name (507 characters).
    public static let userNameBytes = 507
    /// The largest answer `logpond curate` reads (an index listing of thousands of daily
    /// indices is a few MB; more means the URL points at something else).
    public static let cliAnswerBytes = 64 * 1024 * 1024
    /// Elasticsearch's own limit on an API key's name (1024 characters).
    public static let apiKeyNameBytes = 1024
    /// An API key's `metadata` object, kept in the catalog row and reloaded with every key.
    public static let apiKeyMetadataBytes = 16 * 1024
    /// Filler kept in the data folder (FileNames.diskReserve) and given up the moment a write
    /// finds the disk full: what deleting an index (a SQLite WAL append of a few pages), the
    /// next translog generation (one page) and a start on a full disk need, with room to spare.
    /// On a 64 MiB disk 4 MiB is 6%; on a real one it is nothing.
    public static let diskReserveBytes: Int64 = 4 * 1024 * 1024
    /// Writes look at the disk themselves when the last look is older than this (a statvfs
    /// costs about a microsecond): a fast writer otherwise filled a small disk between two
    /// 30-second checks and met ENOSPC instead of the flood-stage block.
    public static let diskWriteCheckNanos: UInt64 = 1_000_000_000
    /// A merge starts only while the disk keeps this much free beyond its output's size above
    /// the flood stage; otherwise it waits (merges free space only once they are done).
    public static let mergeFreeSpaceFactor: Int64 = 2
    /// A failed flush or merge is retried after this long, doubling to the maximum (a full disk frees
    /// up by the operator's hand, not by retrying every 50 ms).
    public static let flushRetryMinMillis = 500
    public static let flushRetryMaxMillis = 30_000
    /// The wait after `n` failures in a row (n ≥ 1): 0.5 s, 1 s, 2 s … 30 s.
    static func retryDelayMillis(afterFailures n: Int) -> Int {
        min(flushRetryMaxMillis, flushRetryMinMillis << min(max(n, 1) - 1, 16))
    }
    /// Nesting of parentheses (and unary operators) in a query string or a pipeline script.
    public static let maxQueryStringDepth = 64
    /// Elasticsearch's index.max_terms_count: values in one `terms` query.
    public static let maxTermsCount = 65_536
    /// Elasticsearch's index.max_regex_length.
    public static let maxRegexLength = 1000
    /// Time in milliseconds one compiled regular expression (a regexp query on one segment, a
    /// terms include/exclude) may spend matching, all its matches together: ICU backtracks,
    /// and Foundation exposes no step limit, so its progress callback checks this deadline.
    public static let regexTimeBudgetMillis = 500
    /// Elasticsearch's top_hits size limit (index.max_inner_result_window).
    public static let maxInnerResultWindow = 100
    /// Standard tokenizer's max_token_length default.
    public static let maxTokenLength = 255
}
