import Foundation
import Logging

/// How the server writes its lines (`--log-format`, `--log-level`, `logger.level`): text in
/// Elasticsearch's layout, or one JSON object per line with ECS field names, as Elasticsearch's
/// JSON logs have them. Every line is one write to stdout, so lines from threads never mix.
struct LogpondLogHandler: LogHandler {
    enum Format: String, CaseIterable { case text, json }

    let label: String
    let format: Format
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let lock = NSLock()

    /// Elasticsearch's level names: WARN, not WARNING.
    static func name(_ l: Logger.Level) -> String {
        switch l {
        case .trace: return "TRACE"
        case .debug: return "DEBUG"
        case .info, .notice: return "INFO"
        case .warning: return "WARN"
        case .error: return "ERROR"
        case .critical: return "FATAL"
        }
    }

    /// `info`, `WARN`, `warning`, … as a level; nil when none matches.
    static func level(_ s: String) -> Logger.Level? {
        switch s.lowercased() {
        case "trace": return .trace
        case "debug": return .debug
        case "info": return .info
        case "warn", "warning": return .warning
        case "error": return .error
        case "fatal", "critical", "off": return .critical
        default: return nil
        }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        var text = message.description
        // The engine's lines carry their own prefix from before this handler; the label says it.
        if text.hasPrefix("[logpond] ") { text.removeFirst(10) }
        var logger = label
        // Slow logs name their own logger, as Elasticsearch's do.
        if text.hasPrefix("[index."), let end = text.firstIndex(of: "]") {
            logger = String(text[text.index(after: text.startIndex)..<end])
            text = String(text[text.index(after: end)...]).trimmingCharacters(in: .whitespaces)
        }
        let now = Date()
        let ms = Int64(now.timeIntervalSince1970 * 1000)
        var out: String
        switch format {
        case .text:
            // One entry, one line: newlines inside a message are written escaped.
            let oneLine = text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
            let lvl = Self.name(level).padding(toLength: 5, withPad: " ", startingAt: 0)
            out = "[\(Self.timestamp(ms))][\(lvl)][\(logger)] \(oneLine)"
            let md = metadata.merging(extra ?? [:]) { $1 }
            for (k, v) in md.sorted(by: { $0.key < $1.key }) { out += " \(k)=\(v)" }
        case .json:
            var o: [String: Any] = ["@timestamp": Self.timestamp(ms), "log.level": Self.name(level), "log.logger": logger,
                                    "message": text, "ecs.version": "1.2.0", "service.name": "logpond"]
            for (k, v) in metadata.merging(extra ?? [:], uniquingKeysWith: { $1 }) { o[k] = "\(v)" }
            let d = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data()
            out = String(decoding: d, as: UTF8.self)
        }
        let bytes = Data((out + "\n").utf8)
        Self.lock.withLock { FileHandle.standardOutput.write(bytes) }
    }

    static func timestamp(_ ms: Int64) -> String {
        var s = ""
        s.reserveCapacity(24)
        let secs = ms / 1000, frac = ms % 1000
        let d = Date(timeIntervalSince1970: TimeInterval(secs))
        var t = time_t(d.timeIntervalSince1970)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        s = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec, frac)
        return s
    }

    /// Installs the handler for every logger of the process (the engine's, Hummingbird's).
    static func bootstrap(format: Format, level: Logger.Level) {
        LoggingSystem.bootstrap { label in LogpondLogHandler(label: label, format: format, logLevel: level) }
    }
}
