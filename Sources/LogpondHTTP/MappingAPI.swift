import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// Field-level mapping views: `_mapping/field/{fields}` and `_field_caps`.
extension API {
    func getFieldMapping(targets: String, fields: String) throws -> Response {
        let patterns = fields.split(separator: ",").map(String.init)
        var out: [(String, Any)] = []
        for idx in try store.resolve(targets) {
            let m = idx.snapshot(markSearched: false).mapping
            var found: [(String, Any)] = []
            for (path, f) in m.leafPaths where patterns.contains(where: { Store.wildcardMatch($0, path) }) {
                let leaf = path.split(separator: ".").last.map(String.init) ?? path
                found.append((path, [("full_name", path), ("mapping", [leaf: MappingJSON.field(f)])] as [(String, Any)]))
            }
            out.append((idx.name, ["mappings": found] as [String: Any]))
        }
        return ESResponse.json(.ok, out)
    }

    /// Grafana and Kibana read field types from here (clients.md §6.1, §9).
    func fieldCaps(targets: String, params: [String: String], body: [UInt8]) throws -> Response {
        var fieldsParam = params["fields"]
        let json = try parseJSONBody(body) as? [String: Any]
        if fieldsParam == nil, let f = json?["fields"] {
            fieldsParam = (f as? [Any])?.map { "\($0)" }.joined(separator: ",") ?? "\(f)"
        }
        guard let fp = fieldsParam else { throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: no fields specified;") }
        let patterns = fp.split(separator: ",").map(String.init)
        var indices = try store.resolve(targets, ignoreUnavailable: params.flag("ignore_unavailable"), allowNoIndices: params["allow_no_indices"] != "false")
        // `index_filter`: only indices where some document matches (Grafana and Kibana narrow
        // a time range to the indices holding it this way).
        if let f = json?["index_filter"] {
            let q = try QueryParser.parse(f)
            let open = indices.filter { $0.currentState == "open" }
            let snaps = try snapshots(open.map { $0.name }.joined(separator: ","), ["ignore_unavailable": "true"])
            defer { store.searchFinished(snaps) }
            var keep: Set<String> = []
            for snap in snaps where try Searcher().count(q, [snap]) > 0 { keep.insert(snap.name) }
            indices = indices.filter { keep.contains($0.name) }
        }
        // field → type → indices having it
        var caps: [String: [String: (searchable: Bool, aggregatable: Bool, indices: [String])]] = [:]
        for idx in indices {
            let m = idx.snapshot(markSearched: false).mapping
            var entries = m.leafPaths.map { ($0.0, $0.1.type.rawValue, $0.1.index, $0.1.type == .text ? $0.1.fielddata : $0.1.docValues) }
            for (p, f) in m.fields where f.type == .object { entries.append((p, "object", false, false)) }
            for meta in ["_id", "_index", "_source"] { entries.append((meta, meta, meta != "_source", meta != "_source")) }
            for (path, type, searchable, agg) in entries where patterns.contains(where: { Store.wildcardMatch($0, path) }) {
                var byType = caps[path] ?? [:]
                var e = byType[type] ?? (searchable, agg, [])
                e.indices.append(idx.name)
                byType[type] = e
                caps[path] = byType
            }
        }
        var fields: [(String, Any)] = []
        for (path, byType) in caps.sorted(by: { $0.key < $1.key }) {
            var types: [(String, Any)] = []
            for (type, e) in byType.sorted(by: { $0.key < $1.key }) {
                var v: [(String, Any)] = [("type", type), ("metadata_field", path.hasPrefix("_")), ("searchable", e.searchable), ("aggregatable", e.aggregatable)]
                if byType.count > 1 { v.append(("indices", e.indices)) }
                types.append((type, v))
            }
            fields.append((path, types))
        }
        return ESResponse.json(.ok, [("indices", indices.map { $0.name }), ("fields", fields)] as [(String, Any)])
    }
}
