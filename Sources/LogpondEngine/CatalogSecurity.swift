import Foundation

/// One user of the native realm: name, bcrypt hash, role.
public struct UserRecord: Sendable {
    public var name: String
    public var passwordHash: String
    public var role: String
    public init(name: String, passwordHash: String, role: String) { self.name = name; self.passwordHash = passwordHash; self.role = role }
}

/// One API key: the secret only as a bcrypt hash; `role` is one of the built-in roles.
public struct ApiKeyRecord: Sendable {
    public var id: String
    public var name: String
    public var keyHash: String
    public var role: String
    /// The user who created it.
    public var owner: String
    /// Epoch milliseconds.
    public var creation: Int64
    /// Epoch milliseconds; nil never expires.
    public var expiration: Int64?
    public var invalidated: Bool
    /// The request's `metadata` object, as JSON.
    public var metadata: String
    public init(id: String, name: String, keyHash: String, role: String, owner: String, creation: Int64, expiration: Int64?, invalidated: Bool, metadata: String) {
        self.id = id; self.name = name; self.keyHash = keyHash; self.role = role; self.owner = owner
        self.creation = creation; self.expiration = expiration; self.invalidated = invalidated; self.metadata = metadata
    }
}

/// Users and API keys in the catalog; every change moves `security_version` so running servers
/// reload within a second.
extension Catalog {
    /// Every user (name, bcrypt hash, role), by name.
    public func users() throws -> [UserRecord] {
        try locked {
            try db.run("SELECT name, password_hash, role FROM users ORDER BY name").map {
                UserRecord(name: $0[0].text, passwordHash: $0[1].text, role: $0[2].text)
            }
        }
    }

    /// Adds or replaces a user, and moves `security_version` on so servers reload.
    public func putUser(_ u: UserRecord) throws {
        try locked {
            try db.transaction {
                try db.run("INSERT INTO users(name, password_hash, role, updated) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role, updated = excluded.updated",
                           [.text(u.name), .text(u.passwordHash), .text(u.role), .int(Int64(Date().timeIntervalSince1970 * 1000))])
                try bumpSecurityVersion()
            }
        }
    }

    /// Removes a user; false when there was none.
    @discardableResult
    public func deleteUser(_ name: String) throws -> Bool {
        try locked {
            try db.transaction {
                let had = try !db.run("SELECT 1 FROM users WHERE name = ?", [.text(name)]).isEmpty
                try db.run("DELETE FROM users WHERE name = ?", [.text(name)])
                try bumpSecurityVersion()
                return had
            }
        }
    }

    /// Moves whenever users change (by this process or the `logpond users` command).
    public func securityVersion() throws -> String {
        try locked { try db.run("SELECT value FROM meta WHERE key = 'security_version'").first?[0].text ?? "0" }
    }

    func bumpSecurityVersion() throws {
        try db.run("INSERT INTO meta(key, value) VALUES ('security_version', '1') ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)")
    }

    /// Every API key, invalidated ones included (Elasticsearch lists them until they are removed).
    public func apiKeys() throws -> [ApiKeyRecord] {
        try locked {
            try db.run("SELECT id, name, key_hash, role, owner, creation, expiration, invalidated, metadata FROM api_keys ORDER BY creation, id").map {
                ApiKeyRecord(id: $0[0].text, name: $0[1].text, keyHash: $0[2].text, role: $0[3].text, owner: $0[4].text, creation: $0[5].int,
                             expiration: $0[6].isNull ? nil : $0[6].int, invalidated: $0[7].int != 0, metadata: $0[8].text)
            }
        }
    }

    public func insertApiKey(_ k: ApiKeyRecord) throws {
        try locked {
            try db.transaction {
                try db.run("INSERT INTO api_keys(id, name, key_hash, role, owner, creation, expiration, invalidated, metadata) VALUES (?,?,?,?,?,?,?,?,?)",
                           [.text(k.id), .text(k.name), .text(k.keyHash), .text(k.role), .text(k.owner), .int(k.creation),
                            k.expiration.map { .int($0) } ?? .null, .int(k.invalidated ? 1 : 0), .text(k.metadata)])
                try bumpSecurityVersion()
            }
        }
    }

    /// Marks keys invalid; returns the ids newly invalidated and those that already were.
    public func invalidateApiKeys(ids: [String]) throws -> (invalidated: [String], previously: [String]) {
        try locked {
            try db.transaction {
                var now: [String] = [], before: [String] = []
                for id in ids {
                    guard let row = try db.run("SELECT invalidated FROM api_keys WHERE id = ?", [.text(id)]).first else { continue }
                    if row[0].int != 0 { before.append(id); continue }
                    try db.run("UPDATE api_keys SET invalidated = 1 WHERE id = ?", [.text(id)])
                    now.append(id)
                }
                if !now.isEmpty { try bumpSecurityVersion() }
                return (now, before)
            }
        }
    }
}
