import Foundation

/// One retention rule: indices matching `pattern` older than `maxAgeMillis` are deleted, aged
/// by the date in their name (as Curator's `source: name`) or by their creation date.
public struct RetentionPolicy: Sendable {
    public enum Source: String, Sendable { case name, creationDate = "creation_date" }
    public var pattern: String
    public var maxAgeMillis: Int64
    public var source: Source = .name
    public var timestring = "%Y.%m.%d"
    public init(pattern: String, maxAgeMillis: Int64, source: Source = .name, timestring: String = "%Y.%m.%d") {
        self.pattern = pattern; self.maxAgeMillis = maxAgeMillis; self.source = source; self.timestring = timestring
    }
}

/// The server's own lifecycle settings: age policies and a total-size budget.
public struct RetentionConfig: Sendable {
    public var policies: [RetentionPolicy] = []
    /// Delete the oldest indices (matching `budgetPattern`) while the data is larger than this.
    public var maxTotalBytes: Int64? = nil
    public var budgetPattern = "*"
    public var checkIntervalMillis: Int64 = 3_600_000
    public init() {}
    public var isEmpty: Bool { policies.isEmpty && maxTotalBytes == nil }
}

/// Decides which indices a retention pass deletes, and why. Pure: no I/O, easy to test.
public enum RetentionPlanner {
    public struct Candidate: Sendable {
        public var name: String; public var creationDate: Int64; public var bytes: Int64
        public init(name: String, creationDate: Int64, bytes: Int64) { self.name = name; self.creationDate = creationDate; self.bytes = bytes }
    }
    public struct Decision: Sendable, Equatable { public var name: String; public var reason: String }

    /// The epoch millis (UTC midnight or the parsed time) of the date `timestring` finds in
    /// `name`, as Curator's TimestringSearch does; nil when there is none.
    public static func dateInName(_ name: String, timestring: String) -> Int64? {
        var regex = NSRegularExpression.escapedPattern(for: timestring)
        let parts: [(String, String)] = [("%Y", "(\\d{4})"), ("%m", "(\\d{2})"), ("%d", "(\\d{2})"), ("%H", "(\\d{2})"), ("%M", "(\\d{2})"), ("%y", "(\\d{2})"),
                                          ("%j", "(\\d{3})"), ("%W", "(\\d{2})"), ("%U", "(\\d{2})")]
        var order: [String] = []
        var scan = timestring[...]
        while let r = scan.range(of: "%") {
            guard let end = scan.index(r.lowerBound, offsetBy: 2, limitedBy: scan.endIndex) else { return nil }
            order.append(String(scan[r.lowerBound..<end]))
            scan = scan[end...]
        }
        for (code, rx) in parts { regex = regex.replacingOccurrences(of: code, with: rx) }
        guard let re = try? NSRegularExpression(pattern: regex), let m = re.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) else { return nil }
        var y = 1970, mo = 1, d = 1, h = 0, mi = 0
        for (k, code) in order.enumerated() where k + 1 < m.numberOfRanges {
            guard let r = Range(m.range(at: k + 1), in: name), let v = Int(name[r]) else { return nil }
            switch code {
            case "%Y": y = v
            case "%y": y = 2000 + v
            case "%m": mo = v
            case "%d": d = v
            case "%H": h = v
            case "%M": mi = v
            default: return nil
            }
        }
        guard (1...12).contains(mo), d >= 1, d <= DateParser.daysIn(month: mo, year: y) else { return nil }
        return (Int64(DateParser.daysFromCivil(year: y, month: mo, day: d)) * 86400 + Int64(h * 3600 + mi * 60)) * 1000
    }

    /// When `c` began to age under `p`: the date in its name or its creation date; nil when
    /// the name holds no date `p` can read.
    static func born(_ c: Candidate, _ p: RetentionPolicy) -> Int64? {
        switch p.source {
        case .creationDate: return c.creationDate
        case .name: return dateInName(c.name, timestring: p.timestring)
        }
    }

    /// Which indices to delete at `now`, with the reason; `log` hears about names that could
    /// not be aged.
    public static func plan(_ candidates: [Candidate], config: RetentionConfig, now: Int64, log: (String) -> Void = { _ in }) -> [Decision] {
        var out: [Decision] = []
        var taken = Set<String>()
        for c in candidates.sorted(by: { $0.name < $1.name }) {
            for p in config.policies where Store.wildcardMatch(p.pattern, c.name) && !taken.contains(c.name) {
                guard let born = born(c, p) else { log("retention: [\(c.name)] has no date matching \(p.timestring); left alone"); continue }
                if p.source == .name && born > now { log("retention: [\(c.name)] is dated in the future; left alone"); continue }
                // Saturating: a creation date from an older catalog may be anything.
                let (diff, overflow) = now.subtractingReportingOverflow(born)
                let age = overflow ? (born < 0 ? Int64.max : Int64.min) : diff
                if age > p.maxAgeMillis {
                    out.append(Decision(name: c.name, reason: "older than \(p.maxAgeMillis / 86_400_000)d by \(p.source == .name ? "name" : "creation_date") (policy \(p.pattern))"))
                    taken.insert(c.name)
                }
            }
        }
        if let budget = config.maxTotalBytes {
            var total = candidates.filter { !taken.contains($0.name) }.reduce(Int64(0)) { $0 + $1.bytes }
            let oldestFirst = candidates.filter { !taken.contains($0.name) && Store.wildcardMatch(config.budgetPattern, $0.name) }
                .sorted { ($0.creationDate, $0.name) < ($1.creationDate, $1.name) }
            // The newest index is the one being written: it is never dropped for size.
            for c in oldestFirst.dropLast() where total > budget {
                out.append(Decision(name: c.name, reason: "data is \(total) bytes, over the \(budget)-byte budget: oldest first"))
                total -= c.bytes
            }
        }
        return out
    }
}

extension Store {
    /// Runs one retention pass now; returns what was deleted.
    @discardableResult
    public func applyRetention(_ config: RetentionConfig, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> [RetentionPlanner.Decision] {
        let candidates = allIndices.map { RetentionPlanner.Candidate(name: $0.name, creationDate: $0.creationDate, bytes: $0.stats.storeBytes) }
        let decisions = RetentionPlanner.plan(candidates, config: config, now: now) { self.log("[logpond] \($0)") }
        var done: [RetentionPlanner.Decision] = []
        for d in decisions {
            do {
                try deleteIndex(d.name)
                log("[logpond] retention deleted [\(d.name)]: \(d.reason)")
                done.append(d)
            } catch { log("[logpond] retention could not delete [\(d.name)]: \(error)", .error) }
        }
        return done
    }

    /// Checks at start and then every interval (±10% jitter so many servers do not align).
    public func startRetention(_ config: RetentionConfig) {
        // Always started: `_cluster/settings` may give a size budget later. A pass with
        // nothing configured decides nothing.
        retentionBase.value = config
        // Past the low watermark the policies run at each disk check (at most every 10 s),
        // not only on their own schedule, so the size budget acts before the flood stage.
        let lastRun = NSLock()
        nonisolated(unsafe) var last: UInt64 = 0
        disk.onPressure = { [weak self] in
            guard let self else { return }
            let due: Bool = lastRun.withLock {
                guard last == 0 || Clock.elapsed(from: last) >= 10_000_000_000 else { return false }
                last = DispatchTime.now().uptimeNanoseconds
                return true
            }
            if due {
                let done = self.applyRetention(self.effectiveRetention())
                if !done.isEmpty { self.log("[logpond] retention ran early because the disk is past the low watermark [\(self.disk.watermarks.low)]", .warning) }
            }
        }
        let t = Thread { [weak self] in
            while let self, !self.isStopping {
                let current = self.effectiveRetention()
                if !current.isEmpty { self.applyRetention(current) }
                let jitter = Double(current.checkIntervalMillis) * Double.random(in: -0.1...0.1)
                let until = Date().addingTimeInterval((Double(current.checkIntervalMillis) + jitter) / 1000)
                while Date() < until && !self.isStopping { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
        t.name = "logpond-retention"
        t.start()
    }
}
