import HTTPTypes

/// The built-in roles, with Elasticsearch's names where one exists (docs/security.md).
public enum Role: String, CaseIterable, Sendable {
    case superuser, ingest, viewer, curator

    /// Whether this role may perform `p`.
    func allows(_ p: Privilege) -> Bool {
        switch self {
        case _ where p == .anyUser: return true
        case .superuser: return true
        case .ingest: return [.monitor, .write, .createIndex, .readTemplates, .manageTemplates, .refresh, .manageAliases].contains(p)
        case .viewer: return [.monitor, .read, .readTemplates].contains(p)
        case .curator: return [.monitor, .read, .readTemplates, .deleteIndex, .admin, .refresh, .manageAliases].contains(p)
        }
    }
}

/// What a request needs, coarse enough for four roles.
enum Privilege: Sendable {
    /// `GET /`, health, nodes, `_cat`: what every collector asks first.
    case monitor
    /// Searches, counts, documents by id, mappings, field caps, settings.
    case read
    /// Documents in: `_bulk`, `_doc`, `_create`, deletes by id.
    case write
    case createIndex, deleteIndex
    case readTemplates, manageTemplates
    /// Alias changes and rollover: what rollover-alias writers (Logstash, fluentd's ILM mode)
    /// and Curator's alias and rollover actions do.
    case manageAliases
    /// Settings, close/open, force-merge, flush.
    case admin
    /// Changing an index's mapping: superusers only (no collector needs it).
    case manageMappings
    case refresh
    /// Users and API keys.
    case security
    /// Any authenticated user (`_security/_authenticate`, unknown routes that answer 400).
    case anyUser
}

/// Elasticsearch's action name and the privilege each route needs. Mirrors `API.route`; the
/// role table test walks every route so the two cannot drift apart unseen.
enum RouteAction {
    static func of(_ method: HTTPRequest.Method, _ s: [String]) -> (name: String, privilege: Privilege) {
        let get = method == .get || method == .head
        guard let first = s.first, let last = s.last else { return ("cluster:monitor/main", .monitor) }
        if first == "_security" {
            if s.count == 2 && s[1] == "_authenticate" { return ("cluster:admin/xpack/security/user/authenticate", .anyUser) }
            if s.count == 2 && s[1] == "api_key" {
                switch method {
                case .get: return ("cluster:admin/xpack/security/api_key/get", .security)
                case .delete: return ("cluster:admin/xpack/security/api_key/invalidate", .security)
                default: return ("cluster:admin/xpack/security/api_key/create", .security)
                }
            }
            return ("cluster:admin/xpack/security", .security)
        }
        if last == "_bulk" && s.count <= 2 { return ("indices:data/write/bulk", .write) }
        if first == "_search" && s.count >= 2 && s[1] == "scroll" { return ("indices:data/read/scroll", .read) }
        if ["_search", "_msearch", "_count", "_field_caps", "_analyze"].contains(last) && s.count <= 2 {
            return ("indices:data/read/" + last.dropFirst(), .read)
        }
        if last == "_mget" && s.count <= 2 { return ("indices:data/read/mget", .read) }
        if last == "_delete_by_query" && s.count == 2 { return ("indices:data/write/delete/byquery", .write) }
        if last == "_refresh" && s.count <= 2 { return ("indices:admin/refresh", .refresh) }
        if last == "_flush" && s.count <= 2 { return ("indices:admin/flush", .admin) }
        if last == "_forcemerge" && s.count <= 2 { return ("indices:admin/forcemerge", .admin) }
        if ["_template", "_index_template", "_component_template"].contains(first) && s.count <= 2 {
            if get { return ("indices:admin/template/get", .readTemplates) }
            return method == .delete ? ("indices:admin/template/delete", .manageTemplates) : ("indices:admin/template/put", .manageTemplates)
        }
        if last == "_settings" || (s.count == 3 && s[1] == "_settings") {
            return get ? ("indices:monitor/settings/get", .read) : ("indices:admin/settings/update", .admin)
        }
        if first == "_aliases" && s.count == 1 && !get { return ("indices:admin/aliases", .manageAliases) }
        if (first == "_alias" || first == "_aliases") && s.count <= 2 { return ("indices:admin/aliases/get", .read) }
        if s.count >= 2 && s.count <= 3 && (s[1] == "_alias" || s[1] == "_aliases") {
            return get ? ("indices:admin/aliases/get", .read) : ("indices:admin/aliases", .manageAliases)
        }
        if s.count >= 2 && s.count <= 3 && s[1] == "_rollover" { return ("indices:admin/rollover", .manageAliases) }
        if first == "_cluster" && s.count == 2 && s[1] == "settings" && !get { return ("cluster:admin/settings/update", .admin) }
        if s.contains("_stats") { return ("indices:monitor/stats", .monitor) }
        if s.count == 2 && (s[1] == "_close" || s[1] == "_open") { return ("indices:admin/" + s[1].dropFirst(), .admin) }
        switch first {
        case "_logpond" where s.count == 2 && s[1] == "tail": return ("indices:data/read/search", .read)
        case "_logpond": return ("cluster:monitor/logpond/ui", .monitor)
        case "_cluster", "_cat", "_nodes", "_prometheus": return ("cluster:monitor/" + first.dropFirst(), .monitor)
        case "_mapping", "_mappings": return ("indices:admin/mappings/get", .read)
        case "_resolve": return ("indices:admin/resolve/index", .read)
        default: break
        }
        if first.hasPrefix("_") { return ("cluster:unknown", .anyUser) }
        if s.count == 1 {
            switch method {
            case .put: return ("indices:admin/create", .createIndex)
            case .delete: return ("indices:admin/delete", .deleteIndex)
            default: return ("indices:admin/get", .read)
            }
        }
        switch s[1] {
        case "_mappings": return ("indices:admin/mappings/get", .read)
        case "_mapping":
            return get ? ("indices:admin/mappings/get", .read) : ("indices:admin/mapping/put", .manageMappings)
        case "_update": return ("indices:data/write/update", .write)
        case "_doc", "_create":
            if get { return ("indices:data/read/get", .read) }
            return method == .delete ? ("indices:data/write/delete", .write) : ("indices:data/write/index", .write)
        default:
            if !s[1].hasPrefix("_") && s.count <= 3 && (method == .post || method == .put) { return ("indices:data/write/index", .write) }
            return ("cluster:unknown", .anyUser)
        }
    }
}
