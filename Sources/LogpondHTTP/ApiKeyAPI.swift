import Foundation
import Hummingbird
import HTTPTypes
import LogpondEngine
import LogpondQuery

/// `POST|PUT|GET|DELETE /_security/api_key`, as Elasticsearch answers them. A key has one of
/// the built-in roles (`role`, a Logpond field; by default its creator's); the secret is shown
/// once, at creation, and kept only as a bcrypt hash.
extension API {
    func apiKeyRoute(_ method: HTTPRequest.Method, who: Identity?, body: () async throws -> [UInt8], params: [String: String]) async throws -> Response {
        guard let who else {
            throw ESError(400, "illegal_state_exception", "API keys need security on: add a user first (logpond users add NAME --role superuser), then create keys as that user")
        }
        switch method {
        case .post, .put: return try createApiKey(who, body: try await body())
        case .get: return try getApiKeys(params)
        case .delete: return try invalidateApiKeys(body: try await body())
        default: throw ESError(405, "method_not_allowed", "Incorrect HTTP method for uri [/_security/api_key] and method [\(method.rawValue)], allowed: [POST, PUT, GET, DELETE]")
        }
    }

    private func createApiKey(_ who: Identity, body: [UInt8]) throws -> Response {
        guard who.apiKey == nil else {
            throw ESError(403, "security_exception", "an API key cannot create API keys; authenticate as a user to create one")
        }
        guard let json = try parseJSONBody(body) as? [String: Any] else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: api key name is required;")
        }
        guard let name = json["name"] as? String, !name.isEmpty else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: api key name is required;")
        }
        guard name.utf8.count <= Limits.apiKeyNameBytes, !name.hasPrefix("_"), !name.unicodeScalars.contains(where: { $0.value < 32 }) else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: api key name may not begin with an underscore, hold control characters or be longer than \(Limits.apiKeyNameBytes) bytes;")
        }
        var expiration: Int64?
        if let e = json["expiration"], !(e is NSNull) {
            guard let s = e as? String, let ms = Param.durationMillis(s), ms > 0 else {
                throw ESError(400, "illegal_argument_exception", "[expiration] must be a time value such as 30d or 12h, at most 366 days; leave it out for a key that does not expire")
            }
            // durationMillis caps a time value at a year, so the sum stays far from Int64.max.
            expiration = Int64(Date().timeIntervalSince1970 * 1000) + Int64(ms)
        }
        if let rd = json["role_descriptors"], !((rd as? [String: Any])?.isEmpty ?? (rd is NSNull)) {
            throw ESError(400, "illegal_argument_exception", "[role_descriptors] are not supported: give one of the built-in roles as [role] (\(Role.allCases.map(\.rawValue).joined(separator: ", "))); see docs/security.md")
        }
        var role = who.role
        if let r = json["role"] {
            guard let s = r as? String, let parsed = Role(rawValue: s) else {
                throw ESError(400, "illegal_argument_exception", "[role] must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            role = parsed
        }
        var metadata = "{}"
        if let m = json["metadata"], !(m is NSNull) {
            guard m is [String: Any], let d = try? JSONSerialization.data(withJSONObject: m, options: [.sortedKeys]), d.count <= Limits.apiKeyMetadataBytes else {
                throw ESError(400, "illegal_argument_exception", "[metadata] must be an object of at most \(Limits.apiKeyMetadataBytes) bytes")
            }
            metadata = String(decoding: d, as: UTF8.self)
        }
        let id = Self.randomToken(bytes: 15)
        let secret = Self.randomToken(bytes: 16)
        try store.catalog.insertApiKey(ApiKeyRecord(id: id, name: name, keyHash: Passwords.hash(secret), role: role.rawValue, owner: who.user,
                                                    creation: Int64(Date().timeIntervalSince1970 * 1000), expiration: expiration,
                                                    invalidated: false, metadata: metadata))
        auth.reload()
        var out: [(String, Any)] = [("id", id), ("name", name)]
        if let expiration { out.append(("expiration", expiration)) }
        out += [("api_key", secret), ("encoded", Data("\(id):\(secret)".utf8).base64EncodedString())]
        return ESResponse.json(.ok, out)
    }

    private func getApiKeys(_ p: [String: String]) throws -> Response {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let keys = try store.catalog.apiKeys().filter { k in
            (p["id"].map { $0 == k.id } ?? true) && (p["name"].map { Self.nameMatches($0, k.name) } ?? true)
                && (p["username"].map { $0 == k.owner } ?? true) && (p["active_only"] == "true" ? !k.invalidated && (k.expiration ?? .max) > now : true)
        }
        let list: [Any] = keys.map { k in
            var o: [(String, Any)] = [("id", k.id), ("name", k.name), ("type", "rest"), ("creation", k.creation)]
            if let e = k.expiration { o.append(("expiration", e)) }
            o += [("invalidated", k.invalidated), ("username", k.owner), ("realm", "native1"), ("role", k.role)]
            let meta = (try? JSONSerialization.jsonObject(with: Data(k.metadata.utf8))) ?? [String: Any]()
            o.append(("metadata", meta))
            return o
        }
        return ESResponse.json(.ok, [("api_keys", list)] as [(String, Any)])
    }

    private func invalidateApiKeys(body: [UInt8]) throws -> Response {
        guard let json = try parseJSONBody(body) as? [String: Any] else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: One of [api key id(s), api key name, username, realm name] must be specified;")
        }
        guard json["id"] != nil || json["ids"] != nil || json["name"] != nil || json["username"] != nil else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: One of [api key id(s), api key name, username, realm name] must be specified;")
        }
        var ids = Set<String>()
        if let id = json["id"] as? String { ids.insert(id) }
        if let list = json["ids"] as? [Any] { for case let id as String in list { ids.insert(id) } }
        let name = json["name"] as? String, user = json["username"] as? String
        if name != nil || user != nil {
            for k in try store.catalog.apiKeys() where name.map({ Self.nameMatches($0, k.name) }) ?? false || k.owner == user { ids.insert(k.id) }
        }
        let (now, before) = try store.catalog.invalidateApiKeys(ids: ids.sorted())
        auth.reload()
        return ESResponse.json(.ok, [("invalidated_api_keys", now), ("previously_invalidated_api_keys", before), ("error_count", 0)] as [(String, Any)])
    }

    /// `name` filters take `*` as Elasticsearch does: alone, or as a trailing wildcard.
    static func nameMatches(_ pattern: String, _ name: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasSuffix("*") { return name.hasPrefix(pattern.dropLast()) }
        return pattern == name
    }

    /// URL-safe base64 of `bytes` random bytes from the system's CSPRNG, without padding.
    static func randomToken(bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &g) }
        return Data(raw).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
