import Foundation
import HummingbirdBcrypt
import LogpondEngine

/// Password hashing: bcrypt only (never plain, never a fast hash), Elasticsearch's cost 10.
public enum Passwords {
    public static let cost: UInt8 = 10
    public static func hash(_ password: String) -> String { Bcrypt.hash(password, cost: cost) }
    static func verify(_ password: String, _ hash: String) -> Bool { Bcrypt.verify(password, hash: hash) }
    /// Verified for unknown user names, so a wrong name costs what a wrong password does.
    static let decoy = Bcrypt.hash("logpond decoy password", cost: cost)
}

/// Who a request is, from its `Authorization` header. Users live in the catalog (the
/// `logpond users` command writes them, this process reloads them when `security_version`
/// moves). A verified header is remembered (in memory, which holds it anyway while the request
/// is read) for `Limits.authCacheNanos`, so bcrypt runs once per credential, not per request.
final class Authenticator: @unchecked Sendable {
    enum Outcome: Equatable {
        /// No user is configured: the server is open (and bound to loopback unless told).
        case open
        case user(String, Role)
        case missing
        case failed(String)
    }

    private let catalog: Catalog
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var users: [String: UserRecord] = [:]
    private var version = ""
    private var checked: UInt64 = 0
    private var cache: [String: (user: String, role: Role, until: UInt64)] = [:]
    private var lastFailureLog: UInt64 = 0
    private var unloggedFailures = 0

    init(catalog: Catalog, log: @escaping @Sendable (String) -> Void) {
        self.catalog = catalog
        self.log = log
        reloadIfChanged(force: true)
    }

    /// Re-reads the users when their version moved; looked at most once a second.
    private func reloadIfChanged(force: Bool = false) {
        let due: Bool = lock.withLock {
            guard force || Clock.elapsed(from: checked) >= 1_000_000_000 else { return false }
            checked = DispatchTime.now().uptimeNanoseconds
            return true
        }
        guard due, let v = try? catalog.securityVersion() else { return }
        let changed = lock.withLock { v != version }
        guard changed || force, let list = try? catalog.users() else { return }
        lock.withLock {
            version = v
            users = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
            cache.removeAll()
        }
    }

    func authenticate(_ header: String?, client: String) -> Outcome {
        reloadIfChanged()
        guard lock.withLock({ !users.isEmpty }) else { return .open }
        guard let header, let (name, password) = Self.basic(header) else { return .missing }
        let key = header
        let now = DispatchTime.now().uptimeNanoseconds
        if let hit = lock.withLock({ cache[key] }), hit.until > now { return .user(hit.user, hit.role) }
        let record = lock.withLock { users[name] }
        // The same bcrypt work whether the user exists or not.
        let ok = Passwords.verify(password, record?.passwordHash ?? Passwords.decoy) && record != nil
        guard ok, let r = record, let role = Role(rawValue: r.role) else {
            noteFailure(name, client: client)
            return .failed(name)
        }
        lock.withLock {
            if cache.count > Limits.authCacheEntries { cache.removeAll() }
            cache[key] = (name, role, now &+ Limits.authCacheNanos)
        }
        return .user(name, role)
    }

    /// `Basic base64(user:password)`; nil for anything else.
    static func basic(_ header: String) -> (String, String)? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// One log line per failed login, at most one a second; the rest are counted into the next.
    private func noteFailure(_ name: String, client: String) {
        let line: String? = lock.withLock {
            let now = DispatchTime.now().uptimeNanoseconds
            guard lastFailureLog == 0 || Clock.elapsed(from: lastFailureLog, to: now) >= 1_000_000_000 else { unloggedFailures += 1; return nil }
            lastFailureLog = now
            defer { unloggedFailures = 0 }
            let more = unloggedFailures > 0 ? " (and \(unloggedFailures) more failed logins since the last line)" : ""
            return "[logpond] failed login for user [\(EngineError.clip(name, max: 64))] from \(client)\(more)"
        }
        if let line { log(line) }
    }
}
