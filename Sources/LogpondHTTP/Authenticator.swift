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

/// Who made a request: a user, or an API key and the user who created it.
struct Identity: Sendable {
    /// The user name; for an API key, its owner's.
    var user: String
    var role: Role
    var apiKey: (id: String, name: String)?
}

/// Who a request is, from its `Authorization` header. Users and API keys live in the catalog
/// (the `logpond users` command and `_security/api_key` write them, this process reloads them
/// when `security_version` moves). A verified header is remembered (in memory, which holds it
/// anyway while the request is read) for `Limits.authCacheNanos`, so bcrypt runs once per
/// credential, not per request.
final class Authenticator: @unchecked Sendable {
    enum Outcome {
        /// No user is configured: the server is open (and bound to loopback unless told).
        case open
        case authenticated(Identity)
        case missing
        /// A user name that failed, or nil for an API key (whose id is not the caller's to learn about).
        case failed(user: String?)
    }

    private let catalog: Catalog
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var users: [String: UserRecord] = [:]
    /// Valid (not invalidated) API keys by id; expiry is checked at use.
    private var keys: [String: ApiKeyRecord] = [:]
    private var version = ""
    private var checked: UInt64 = 0
    private var cache: [String: (who: Identity, until: UInt64, expires: Int64?)] = [:]
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
        guard changed || force, let list = try? catalog.users(), let apiKeys = try? catalog.apiKeys() else { return }
        lock.withLock {
            version = v
            users = Dictionary(list.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
            keys = Dictionary(apiKeys.filter { !$0.invalidated }.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
            cache.removeAll()
        }
    }

    /// Reloads now: after this process changed users or keys itself.
    func reload() { reloadIfChanged(force: true) }

    func authenticate(_ header: String?, client: String) -> Outcome {
        reloadIfChanged()
        guard lock.withLock({ !users.isEmpty }) else { return .open }
        guard let header else { return .missing }
        let now = DispatchTime.now().uptimeNanoseconds
        if let hit = lock.withLock({ cache[header] }), hit.until > now, !Self.expired(hit.expires) { return .authenticated(hit.who) }
        let who: Identity, expires: Int64?
        if let (name, password) = Self.credentials(header, scheme: "basic") {
            let record = lock.withLock { users[name] }
            // The same bcrypt work whether the user exists or not.
            let ok = Passwords.verify(password, record?.passwordHash ?? Passwords.decoy) && record != nil
            guard ok, let r = record, let role = Role(rawValue: r.role) else { noteFailure("user [\(Self.printable(EngineError.clip(name, max: 64)))]", client: client); return .failed(user: name) }
            (who, expires) = (Identity(user: name, role: role), nil)
        } else if let (id, secret) = Self.credentials(header, scheme: "apikey") {
            let record = lock.withLock { keys[id] }
            let ok = Passwords.verify(secret, record?.keyHash ?? Passwords.decoy) && record != nil
            guard ok, let k = record, !Self.expired(k.expiration), let role = Role(rawValue: k.role) else {
                noteFailure("API key", client: client)
                return .failed(user: nil)
            }
            (who, expires) = (Identity(user: k.owner, role: role, apiKey: (k.id, k.name)), k.expiration)
        } else {
            return .missing
        }
        lock.withLock {
            if cache.count > Limits.authCacheEntries { cache.removeAll() }
            cache[header] = (who, now &+ Limits.authCacheNanos, expires)
        }
        return .authenticated(who)
    }

    private static func expired(_ expiration: Int64?) -> Bool {
        guard let e = expiration else { return false }
        return Int64(Date().timeIntervalSince1970 * 1000) >= e
    }

    /// `Basic base64(user:password)` or `ApiKey base64(id:key)` (`scheme` lowercased), split at
    /// the first colon; nil for anything else.
    static func credentials(_ header: String, scheme: String) -> (String, String)? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == scheme,
              let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// A name as it may appear in a log line: control characters (a newline would forge a
    /// line of its own) become `?`.
    static func printable(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? "?" : $0 }))
    }

    /// One log line per failed login, at most one a second; the rest are counted into the next.
    private func noteFailure(_ what: String, client: String) {
        let line: String? = lock.withLock {
            let now = DispatchTime.now().uptimeNanoseconds
            guard lastFailureLog == 0 || Clock.elapsed(from: lastFailureLog, to: now) >= 1_000_000_000 else { unloggedFailures += 1; return nil }
            lastFailureLog = now
            defer { unloggedFailures = 0 }
            let more = unloggedFailures > 0 ? " (and \(unloggedFailures) more failed logins since the last line)" : ""
            return "[logpond] failed login for \(what) from \(client)\(more)"
        }
        if let line { log(line) }
    }
}
