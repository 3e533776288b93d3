import ArgumentParser
import Foundation
import LogpondEngine

/// `logpond curate`: deletes daily indices past their age over HTTP, like Curator, so the same
/// cron line works against Logpond or a real Elasticsearch 7.x.
struct Curate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete indices older than an age, over HTTP (for cron).",
        discussion: """
        Ages an index by the date in its name (--source name, the default, with --timestring) \
        or by its creation date (--source creation_date). Indices without a date in their name, \
        or dated in the future, are left alone.

        Example crontab line:
          15 0 * * * logpond curate --older-than 7d --pattern 'logstash-*'
        """
    )

    @Option(help: "Server URL.") var url = "http://127.0.0.1:9200"
    @Option(name: .customLong("older-than"), help: "Age past which an index is deleted: 7d, 36h, 2w.") var olderThan: String
    @Option(help: "Index pattern to consider (repeatable; * wildcards).") var pattern: [String] = []
    @Option(help: "name (date in the index name) or creation_date.") var source = "name"
    @Option(help: "strftime pattern of the date in index names.") var timestring = "%Y.%m.%d"
    @Flag(name: .customLong("dry-run"), help: "Show what would be deleted; change nothing.") var dryRun = false
    @Option(help: "User for HTTP basic auth.") var user: String?
    @Option(help: "Password for HTTP basic auth (or set LOGPOND_PASSWORD).") var password: String?
    @Option(name: .customLong("api-key"), help: "API key: the `encoded` value POST /_security/api_key returned, or ID:KEY (or set LOGPOND_API_KEY).") var apiKey: String?
    @Option(help: "PEM file of the authority that signed the server's certificate, for https:// URLs.") var cacert: String?
    @Option(help: "Seconds to wait for each request.") var timeout: Double = 30

    struct Failure: Error, CustomStringConvertible { let description: String }

    func run() throws {
        guard let maxAge = parseMillis(olderThan) else {
            throw ValidationError("--older-than \(olderThan): use a duration such as 7d, 36h or 2w")
        }
        guard let src = RetentionPolicy.Source(rawValue: source) else { throw ValidationError("--source must be name or creation_date") }
        let patterns = pattern.isEmpty ? ["logstash-*"] : pattern
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url

        _ = try request("GET", base + "/")
        let names = try listIndices(base)
        let candidates = names.map { RetentionPlanner.Candidate(name: $0.key, creationDate: $0.value, bytes: 0) }
        var config = RetentionConfig()
        config.policies = patterns.map { RetentionPolicy(pattern: $0, maxAgeMillis: Int64(maxAge), source: src, timestring: timestring) }
        var skipped: [String] = []
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let plan = RetentionPlanner.plan(candidates, config: config, now: now) { skipped.append($0) }
        for s in skipped { print("skip: \(s.replacingOccurrences(of: "retention: ", with: ""))") }
        if plan.isEmpty {
            print("nothing to delete among \(names.count) indices (patterns \(patterns.joined(separator: ", ")))")
            return
        }
        for d in plan { print("\(dryRun ? "would delete" : "delete") \(d.name): \(d.reason)") }
        if dryRun { print("dry run: \(plan.count) indices would be deleted; nothing changed"); return }

        // Chunks of about 3 KB of names per DELETE, as Curator does.
        var chunks: [[String]] = [[]]
        var size = 0
        for d in plan {
            if size + d.name.utf8.count > 3000 && !chunks[chunks.count - 1].isEmpty { chunks.append([]); size = 0 }
            chunks[chunks.count - 1].append(d.name)
            size += d.name.utf8.count + 1
        }
        var deleted = 0
        for chunk in chunks {
            let list = chunk.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: ",/"))) ?? $0 }
            _ = try request("DELETE", base + "/" + list.joined(separator: ",") + "?master_timeout=30s")
            deleted += chunk.count
            if plan.count > 20 { print("progress: \(deleted)/\(plan.count) deleted") }
        }
        let remaining = Set(try listIndices(base).keys).intersection(plan.map { $0.name })
        if !remaining.isEmpty {
            throw Failure(description: "\(remaining.count) indices still exist after DELETE: \(remaining.sorted().joined(separator: ", ")); check the server log and retry")
        }
        print("deleted \(deleted) indices")
    }

    /// Index name → creation date (epoch millis), open and closed.
    func listIndices(_ base: String) throws -> [String: Int64] {
        let data = try request("GET", base + "/_all/_settings?expand_wildcards=open%2Cclosed")
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "unexpected answer from \(base)/_all/_settings; is this an Elasticsearch-compatible server?")
        }
        var out: [String: Int64] = [:]
        for (name, v) in obj {
            let idx = ((v as? [String: Any])?["settings"] as? [String: Any])?["index"] as? [String: Any]
            let cd = idx?["creation_date"].flatMap { Int64("\($0)") } ?? 0
            out[name] = cd
        }
        return out
    }

    func request(_ method: String, _ url: String) throws -> Data {
        var headers = [("Accept", "application/json")]
        if let key = apiKey ?? ProcessInfo.processInfo.environment["LOGPOND_API_KEY"] {
            // `id:key` is encoded here; the `encoded` form is sent as it is.
            headers.append(("Authorization", "ApiKey " + (key.contains(":") ? Data(key.utf8).base64EncodedString() : key)))
        } else if let user {
            let pw = password ?? ProcessInfo.processInfo.environment["LOGPOND_PASSWORD"] ?? ""
            headers.append(("Authorization", "Basic " + Data("\(user):\(pw)".utf8).base64EncodedString()))
        }
        let reply: HTTPFetch.Reply
        do { reply = try HTTPFetch(caFile: cacert, timeoutSeconds: timeout).send(method == "DELETE" ? .DELETE : .GET, url, headers: headers) }
        catch let e as HTTPFetch.Failure { throw Failure(description: e.description) }
        guard (200..<300).contains(reply.status) else {
            let reason = ((try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]).flatMap { ($0["error"] as? [String: Any])?["reason"] as? String }
            let hint = reply.status == 401 || reply.status == 403 ? "check --user/--password or --api-key" : "see the server log"
            throw Failure(description: "\(method) \(url) answered \(reply.status)\(reason.map { ": " + EngineError.clip($0, max: 300) } ?? ""); \(hint)")
        }
        return reply.body
    }
}
