import Foundation
import Hummingbird
import LogpondEngine

/// `GET|PUT /_cluster/settings`.
extension API {
    func getClusterSettings(params: [String: String]) -> Response {
        let flat = params.flag("flat_settings")
        func shape(_ d: [String: String]) -> Any { flat ? d as Any : Self.nest(d) }
        return ESResponse.json(.ok, [("persistent", shape(store.clusterSettings.persistent)), ("transient", shape(store.clusterSettings.transient))] as [(String, Any)])
    }

    func putClusterSettings(body: [UInt8], params: [String: String]) throws -> Response {
        guard let json = try parseJSONBody(body) as? [String: Any] else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: no settings to update;")
        }
        for k in json.keys where k != "persistent" && k != "transient" {
            throw ESError(400, "x_content_parse_exception", "[cluster settings] unknown field [\(EngineError.clip(k, max: 64))]; use persistent or transient")
        }
        let p = try Self.flatten(json["persistent"]), t = try Self.flatten(json["transient"])
        if p.isEmpty && t.isEmpty { throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: no settings to update;") }
        try store.updateClusterSettings(persistent: p, transient: t)
        let flat = params.flag("flat_settings")
        func shown(_ d: [String: String?]) -> Any {
            let kept = d.compactMapValues { $0 }
            return flat ? kept as Any : Self.nest(kept)
        }
        return ESResponse.json(.ok, [("acknowledged", true), ("persistent", shown(p)), ("transient", shown(t))] as [(String, Any)])
    }

    /// Nested or dotted settings to flat keys with string values (nil: remove).
    static func flatten(_ v: Any?) throws -> [String: String?] {
        guard let v else { return [:] }
        guard let o = v as? [String: Any] else { throw ESError(400, "x_content_parse_exception", "settings must be an object") }
        var out: [String: String?] = [:]
        func walk(_ prefix: String, _ x: Any, depth: Int) throws {
            guard depth < 16 else { throw ESError(400, "x_content_parse_exception", "settings nest too deeply") }
            switch x {
            case let d as [String: Any]: for (k, y) in d { try walk(prefix.isEmpty ? k : prefix + "." + k, y, depth: depth + 1) }
            case is NSNull: out[prefix] = .some(nil)
            case let n as NSNumber where String(cString: n.objCType) == "c": out[prefix] = n.boolValue ? "true" : "false"
            case let a as [Any]: out[prefix] = a.map { "\($0)" }.joined(separator: ",")
            default: out[prefix] = "\(x)"
            }
        }
        try walk("", o, depth: 0)
        return out
    }

    /// Flat keys to nested objects, as Elasticsearch shows settings by default.
    static func nest(_ flat: [String: String]) -> [String: Any] {
        var root: [String: Any] = [:]
        func put(_ d: inout [String: Any], _ parts: ArraySlice<Substring>, _ v: String) {
            guard let first = parts.first else { return }
            if parts.count == 1 { d[String(first)] = v; return }
            var child = d[String(first)] as? [String: Any] ?? [:]
            put(&child, parts.dropFirst(), v)
            d[String(first)] = child
        }
        for (k, v) in flat.sorted(by: { $0.key < $1.key }) { put(&root, k.split(separator: ".")[...], v) }
        return root
    }
}
