import ArgumentParser
import Foundation
import LogpondEngine
import LogpondForwardServer
import LogpondHTTP
import LogpondTLS
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The logpond command line.
@main
struct Logpond: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logpond",
        abstract: "An embedded log store that speaks the Elasticsearch API log pipelines use.",
        discussion: """
        Start a server with `logpond serve`, then point Fluent Bit, fluentd, rsyslog or \
        elasticsearch-py at http://127.0.0.1:9200. Data lives in one folder (./data by default).
        """,
        version: LogpondVersion.string,
        subcommands: [Serve.self, Users.self, Curate.self, Inspect.self, Check.self, Version.self],
        defaultSubcommand: nil
    )
}

enum LogpondVersion {
    static let string = "0.1.0"
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the logpond version.")
    func run() { print("logpond \(LogpondVersion.string)") }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List what is damaged in a data folder (offline).",
        discussion: """
        Opens every segment the catalog names with its checksum and reads every structure, and \
        reads every translog generation without changing it. Prints one line per index and per \
        damaged file; exits 1 when anything is damaged. Safe to run beside a running server.
        """
    )
    @Option(name: .long, help: "Data folder (path.data).") var data = "./data"

    func run() throws {
        let findings = try DataCheck.run(dataPath: data) { print($0) }
        for f in findings { print((f.damaged ? "DAMAGED " : "ok      ") + f.what) }
        let damaged = findings.filter { $0.damaged }.count
        print(damaged == 0 ? "no damage found in \(data)" : "\(damaged) damaged item(s) in \(data): restore them from a backup or delete the index")
        if damaged > 0 { throw ExitCode(1) }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a segment file and show what its parts weigh.",
        discussion: "Verifies magic, version and checksum; exits non-zero and says why when the file is damaged."
    )
    @Argument(help: "Segment files (data/indices/<uuid>/seg-*.lps).") var files: [String]
    @Flag(help: "List every part, not only the 15 largest.") var all = false

    func run() throws {
        var failed = false
        for path in files {
            do {
                let seg = try Segment.open(id: 0, path: path)
                print("\(path): ok, \(seg.docCount) docs, \(seg.byteSize) bytes, time \(DateParser.format(millis: seg.minTimestamp)) .. \(DateParser.format(millis: seg.maxTimestamp))")
                let parts = seg.sectionSizes
                var byKind: [String: Int] = [:]
                for p in parts { byKind[p.kind, default: 0] += p.bytes }
                print("  by kind:")
                for (kind, bytes) in byKind.sorted(by: { $0.value > $1.value }) { printPart(bytes, of: seg.byteSize, kind) }
                print(all ? "  every part:" : "  largest parts:")
                for p in parts.prefix(all ? parts.count : 15) { printPart(p.bytes, of: seg.byteSize, p.name) }
            } catch {
                failed = true
                print("\(path): \(error)")
            }
        }
        if failed { throw ExitCode(1) }
    }

    func printPart(_ bytes: Int, of total: Int, _ name: String) {
        print(String(format: "  %12d  %5.1f%%  ", bytes, 100 * Double(bytes) / Double(max(total, 1))) + name)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP server.",
        discussion: "Settings come from --config (YAML, Elasticsearch setting names); flags win over the file."
    )

    @Option(name: .long, help: "Data folder (path.data).") var data: String?
    @Option(name: .long, help: "Address to listen on (network.host).") var host: String?
    @Option(name: .long, help: "Port to listen on (http.port).") var port: Int?
    @Option(name: .long, help: "YAML config file.") var config: String?
    @Flag(name: .long, help: "Listen beyond loopback without any user configured: anyone who reaches the port can read and delete everything.") var insecureNoAuth = false
    @Option(name: .customLong("tls-cert"), help: "PEM certificate (chain) for HTTPS (xpack.security.http.ssl.certificate); reloaded on SIGHUP.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key for HTTPS (xpack.security.http.ssl.key).") var tlsKey: String?
    @Option(name: .customLong("log-level"), help: "Lowest level written: trace, debug, info, warn, error (logger.level; default info).") var logLevel: String?
    @Option(name: .customLong("log-format"), help: "text (default) or json: one JSON object per line with ECS names, as Elasticsearch's JSON logs.") var logFormat: String?
    @Option(name: .customLong("forward-port"), help: "Also accept the Fluent Forward protocol (Fluent Bit's and fluentd's `forward` output) on this TCP port (logpond.forward.port; 24224 is the usual one).") var forwardPort: Int?
    @Option(name: .customLong("forward-host"), help: "Address of the Forward input (logpond.forward.host; default: the HTTP address).") var forwardHost: String?

    func run() async throws {
        let file = try config.map { try FileConfig.load($0) } ?? FileConfig()
        let levelText = logLevel ?? file["logger.level"] ?? "info"
        guard let level = LogpondLogHandler.level(levelText) else {
            throw ValidationErrorMessage("logger.level: [\(levelText.prefix(32))] is not a level; use trace, debug, info, warn or error")
        }
        let formatText = logFormat ?? file["logpond.log.format"] ?? "text"
        guard let format = LogpondLogHandler.Format(rawValue: formatText) else {
            throw ValidationErrorMessage("--log-format: [\(formatText.prefix(32))] is not a format; use text or json")
        }
        LogpondLogHandler.bootstrap(format: format, level: level)
        LogpondMetrics.bootstrap()
        let log = Logger(label: "logpond")
        var sc = ServerConfig()
        sc.host = host ?? file["network.host"] ?? sc.host
        if let p = port ?? file["http.port"].flatMap({ Int($0) }) { sc.port = p }
        if let m = file["http.max_content_length"] {
            guard let v = parseByteSize(m) else { throw ValidationErrorMessage("http.max_content_length: cannot read [\(m)]; use a size such as 100mb") }
            sc.maxContentLength = v
        }
        if let v = file["logpond.version_number"] { sc.versionNumber = v }
        if let v = file["cluster.name"] { sc.clusterName = v }
        if let v = file["node.name"] { sc.nodeName = v }
        let dataPath = data ?? file["path.data"] ?? "./data"
        var opts = StoreOptions(dataPath: dataPath)
        if let r = file["index.refresh_interval"].flatMap(parseMillis) { opts.refreshIntervalMillis = r }
        if let v = file["logpond.merge.idle_after"] {
            guard let r = parseMillis(v) else { throw ValidationErrorMessage("logpond.merge.idle_after: [\(v.prefix(32))] is not a time value such as 5m or 30s (-1 turns idle merges off)") }
            opts.idleMergeAfterMillis = r
        }
        if let t = file["logpond.install_templates"] { opts.installShippedTemplates = t != "false" }
        opts.watermarks = try file.watermarks()
        let budget = try file.memoryBudget()
        opts.indexingPressureLimitBytes = try file.memoryLimit("indexing_pressure.memory.limit", budget: budget, defaultShare: Limits.indexingPressureShare)
        // Elasticsearch's name for the indexing buffer: source buffered in write buffers (all
        // indices together) before they are written out as segments.
        if let b = try file.memorySize("indices.memory.index_buffer_size", budget: budget, range: (1 << 20)...(1 << 32),
                                       hint: "use a size from 1mb to 4gb (4mb is the default) or a percentage of logpond.memory.budget") {
            opts.flushBufferedBytes = Int(b)
        }
        if let b = try file.memorySize("logpond.search.memory_budget", budget: budget, range: 0...Int64(Int.max / 2),
                                       hint: "use a size (64mb) or a percentage of logpond.memory.budget (5%)") {
            opts.searchMemoryBytes = Int(b)
        }
        sc.requestBreakerBytes = try file.memoryLimit("indices.breaker.request.limit", budget: budget, defaultShare: Limits.requestBreakerShare)
        sc.inflightBreakerBytes = try file.memoryLimit("network.breaker.inflight_requests.limit", budget: budget, defaultShare: Limits.inflightBreakerShare)
        for (key, name) in [("index.search.slowlog.threshold.query.warn", \ServerConfig.searchSlowlogWarn),
                            ("index.indexing.slowlog.threshold.index.warn", \ServerConfig.indexingSlowlogWarn)] {
            guard let v = file[key] else { continue }
            guard SlowLogThreshold.millis(v) != nil else { throw ValidationErrorMessage("\(key): cannot read [\(v.prefix(32))]; use a time such as 10s or 500ms (-1: off)") }
            sc[keyPath: name] = v
        }
        sc.searchThreads = try file.count("thread_pool.search.size", default: sc.searchThreads, min: 1)
        sc.searchQueueSize = try file.count("thread_pool.search.queue_size", default: sc.searchQueueSize, min: 0)
        let tls: TLSContextHolder?
        do { tls = try ServeTLS.settings(cert: tlsCert, key: tlsKey, file: file).map { try TLSContextHolder($0) } }
        catch let p as TLSSettings.Problem { throw ValidationErrorMessage(p.description) }
        try FileManager.default.createDirectory(atPath: dataPath, withIntermediateDirectories: true)
        let lockFD = open(dataPath + "/" + FileNames.lockFile, O_RDWR | O_CREAT, 0o644)
        guard lockFD >= 0, flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            throw ValidationErrorMessage("data folder \(dataPath) is in use by another logpond server; stop it or use --data to pick another folder")
        }
        let store = try Store(options: opts)
        // The Docker convention: ELASTIC_PASSWORD creates (or resets) the `elastic` superuser.
        if let pw = ProcessInfo.processInfo.environment["ELASTIC_PASSWORD"], !pw.isEmpty {
            try store.catalog.putUser(UserRecord(name: "elastic", passwordHash: Passwords.hash(pw), role: Role.superuser.rawValue))
            log.info("user [elastic] (superuser) set from ELASTIC_PASSWORD")
        }
        let hasUsers = !(try store.catalog.users()).isEmpty
        if !hasUsers && !isLoopback(sc.host) {
            if !insecureNoAuth {
                throw ValidationErrorMessage("refusing to listen on \(sc.host) with no user configured: anyone who reaches it could read and delete every log. Add one first: `logpond users add NAME --role superuser --data \(dataPath)` (or set ELASTIC_PASSWORD), or pass --insecure-no-auth if you really mean an open server")
            }
            log.warning("--insecure-no-auth: listening on \(sc.host) without authentication; anyone who reaches this port can read, write and delete everything")
        }
        let r = store.recoveryReport
        if r.ops > 0 || !r.truncated.isEmpty {
            let skipped = r.skipped > 0 ? " (\(r.skipped) could not be replayed: see the lines above)" : ""
            log.info("recovered \(r.ops) operations from the translog\(skipped)")
        }
        store.startBackground()
        store.startRetention(try file.retention())
        var forwardTask: Task<Void, Never>? = nil
        if let fp = forwardPort ?? file["logpond.forward.port"].flatMap({ Int($0) }) {
            var fc = ForwardConfig()
            guard (0...65535).contains(fp) else { throw ValidationErrorMessage("logpond.forward.port: [\(fp)] is not a TCP port") }
            fc.port = fp
            fc.host = forwardHost ?? file["logpond.forward.host"] ?? sc.host
            fc.sharedKey = file["logpond.forward.shared_key"]
            if let p = file["logpond.forward.index_prefix"] {
                do { try IndexNames.validate(p + "-2000.01.01") } catch { throw ValidationErrorMessage("logpond.forward.index_prefix: \(error)") }
                fc.indexPrefix = p
            }
            if let h = file["logpond.forward.hostname"] { fc.hostname = h }
            if fc.sharedKey == nil && !isLoopback(fc.host) && !insecureNoAuth {
                throw ValidationErrorMessage("refusing to take the Forward protocol on \(fc.host) without logpond.forward.shared_key: anyone who reaches the port could write logs. Set a shared key in the config file (and Shared_Key in Fluent Bit's forward output), or pass --insecure-no-auth")
            }
            let forward = ForwardServer(store: store, config: fc)
            let fhost = fc.host
            forwardTask = Task {
                do {
                    try await forward.run(onBound: { port in
                        log.info("forward input listening on \(fhost):\(port)")
                    })
                } catch {
                    log.error("forward input stopped: \(error)")
                }
            }
        }
        defer { forwardTask?.cancel() }
        let server = LogpondServer(store: store, config: sc)
        let host = sc.host
        let scheme = tls == nil ? "http" : "https"
        if let tls { ServeTLS.reloadOnHangup(tls) }
        try await server.run(transport: { c in tls.map { .reloadingTLS(c, holder: $0) } ?? .http1(configuration: c) }, onRunning: { port in
            log.info("listening on \(scheme)://\(host):\(port) (data: \(dataPath))")
        })
        store.shutdown()
    }
}


