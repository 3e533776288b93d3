import Foundation
import Hummingbird
import HTTPTypes
import LogpondEngine

/// Authentication and authorization of every request, and `_security/_authenticate`.
extension API {
    /// The caller, once its credentials and role allow the route; throws the 401 or 403.
    func authorize(_ req: Request, _ path: RequestPath) throws -> Identity? {
        let client = ClientConnection.of(req.headers)?.address ?? "in-process"
        let (action, privilege) = RouteAction.of(req.method, path.segments)
        let where_ = "REST request [\(EngineError.clip(path.raw, max: 200))]"
        switch auth.authenticate(req.headers[.authorization], client: client) {
        case .open: return nil
        case .missing:
            throw ESError(401, "security_exception", "missing authentication credentials for \(where_)", authenticate: true)
        case .failed(let name?):
            throw ESError(401, "security_exception", "unable to authenticate user [\(EngineError.clip(name, max: 64))] for \(where_)", authenticate: true)
        case .failed(nil):
            throw ESError(401, "security_exception", "unable to authenticate with provided credentials and anonymous access is not allowed for this request", authenticate: true)
        case .authenticated(let who):
            guard who.role.allows(privilege) else {
                let subject = who.apiKey.map { "API key id [\($0.id)] of user [\(EngineError.clip(who.user, max: 64))]" } ?? "user [\(EngineError.clip(who.user, max: 64))]"
                throw ESError(403, "security_exception", "action [\(action)] is unauthorized for \(subject) with effective roles [\(who.role.rawValue)]; ask for a role that grants it (docs/security.md)")
            }
            return who
        }
    }

    /// `GET /_security/_authenticate`, as Elasticsearch answers it (elasticsearch-py and
    /// Grafana call it to test a connection).
    func authenticateResponse(_ who: Identity?) -> Response {
        let realm: [(String, Any)]
        let type: String
        switch (who, who?.apiKey) {
        case (nil, _): (realm, type) = ([("name", "__anonymous"), ("type", "anonymous")], "anonymous")
        case (_, nil): (realm, type) = ([("name", "native1"), ("type", "native")], "realm")
        default: (realm, type) = ([("name", "_es_api_key"), ("type", "_es_api_key")], "api_key")
        }
        var out: [(String, Any)] = [("username", who?.user ?? "_anonymous"), ("roles", [who?.role.rawValue ?? "superuser"]),
                                    ("full_name", NSNull()), ("email", NSNull()), ("metadata", [(String, Any)]()), ("enabled", true),
                                    ("authentication_realm", realm), ("lookup_realm", realm), ("authentication_type", type)]
        if let k = who?.apiKey { out.append(("api_key", [("id", k.id), ("name", k.name)] as [(String, Any)])) }
        return ESResponse.json(.ok, out)
    }
}
