import Foundation
import Hummingbird
import HTTPTypes
import LogpondEngine

/// Authentication and authorization of every request, and `_security/_authenticate`.
extension API {
    /// The caller, once its credentials and role allow the route; throws the 401 or 403.
    func authorize(_ req: Request, _ path: RequestPath) throws -> (user: String, role: Role)? {
        let client = ClientConnection.of(req.headers)?.address ?? "in-process"
        let (action, privilege) = RouteAction.of(req.method, path.segments)
        let where_ = "REST request [\(EngineError.clip(path.raw, max: 200))]"
        switch auth.authenticate(req.headers[.authorization], client: client) {
        case .open: return nil
        case .missing:
            throw ESError(401, "security_exception", "missing authentication credentials for \(where_)", authenticate: true)
        case .failed(let name):
            throw ESError(401, "security_exception", "unable to authenticate user [\(EngineError.clip(name, max: 64))] for \(where_)", authenticate: true)
        case .user(let name, let role):
            guard role.allows(privilege) else {
                throw ESError(403, "security_exception", "action [\(action)] is unauthorized for user [\(EngineError.clip(name, max: 64))] with effective roles [\(role.rawValue)]; ask for a role that grants it (docs/security.md)")
            }
            return (name, role)
        }
    }

    /// `GET /_security/_authenticate`, as Elasticsearch answers it (elasticsearch-py and
    /// Grafana call it to test a connection).
    func authenticateResponse(_ who: (user: String, role: Role)?) -> Response {
        let realm: [(String, Any)] = [("name", who == nil ? "__anonymous" : "native1"), ("type", who == nil ? "anonymous" : "native")]
        return ESResponse.json(.ok, [("username", who?.user ?? "_anonymous"), ("roles", [who?.role.rawValue ?? "superuser"]),
                                     ("full_name", NSNull()), ("email", NSNull()), ("metadata", [(String, Any)]()), ("enabled", true),
                                     ("authentication_realm", realm), ("lookup_realm", realm),
                                     ("authentication_type", who == nil ? "anonymous" : "realm")] as [(String, Any)])
    }
}
