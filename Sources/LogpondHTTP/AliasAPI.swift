import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// Aliases: `_aliases` actions, `_alias` get/put/delete, `_cat/aliases`.
extension API {
    /// `POST /_aliases`: `add`, `remove` and `remove_index` actions, applied all or none.
    func updateAliases(body: [UInt8]) throws -> Response {
        guard let json = try parseJSONBody(body) as? [String: Any], let list = json["actions"] as? [Any] else {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: no actions specified;")
        }
        var actions: [AliasAction] = []
        for (n, item) in list.enumerated() {
            guard let o = item as? [String: Any], o.count == 1, let (kind, v) = o.first, let a = v as? [String: Any] else {
                throw ESError(400, "parsing_exception", "action \(n + 1) must be an object with one of [add, remove, remove_index]")
            }
            func names(_ one: String, _ many: String) throws -> [String] {
                var out: [String] = []
                if let s = a[one] { guard let s = s as? String else { throw ESError(400, "parsing_exception", "[\(one)] must be a string") }; out.append(s) }
                if let m = a[many] {
                    guard let l = (m as? [Any])?.compactMap({ $0 as? String }) ?? (m as? String).map({ [$0] }) else {
                        throw ESError(400, "parsing_exception", "[\(many)] must be an array of strings")
                    }
                    out += l
                }
                return out
            }
            let indices = try names("index", "indices")
            if indices.isEmpty { throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: One of [index] or [indices] is required;") }
            switch kind {
            case "add", "remove":
                let aliases = try names("alias", "aliases")
                if aliases.isEmpty { throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: One of [alias] or [aliases] is required;") }
                for i in indices {
                    for al in aliases {
                        if kind == "add" {
                            var body = a
                            for k in ["index", "indices", "alias", "aliases", "must_exist"] { body[k] = nil }
                            actions.append(.add(indices: i, alias: al, body: try aliasBody(body)))
                        } else {
                            let must = a["must_exist"].map { "\($0)" == "1" || "\($0)" == "true" } ?? true
                            actions.append(.remove(indices: i, alias: al, mustExist: must))
                        }
                    }
                }
            case "remove_index":
                for i in indices { actions.append(.removeIndex(indices: i)) }
            default:
                throw ESError(400, "parsing_exception", "unknown alias action [\(EngineError.clip(kind, max: 64))]; use add, remove or remove_index")
            }
        }
        try store.updateAliases(actions)
        return ESResponse.json(.ok, [("acknowledged", true)] as [(String, Any)])
    }

    /// An alias object from a request, its filter checked as a query before it is kept.
    func aliasBody(_ o: [String: Any]) throws -> AliasBody {
        if let f = o["filter"] { _ = try QueryParser.parse(f) }
        return try AliasBody.parse(o)
    }

    /// `PUT|POST /{index}/_alias/{name}`, body optional.
    func putAlias(indices: String, name: String, body: [UInt8]) throws -> Response {
        let o = try parseJSONBody(body) as? [String: Any] ?? [:]
        let b = try aliasBody(o)
        try store.updateAliases(name.split(separator: ",").map { .add(indices: indices, alias: String($0), body: b) })
        return ESResponse.json(.ok, [("acknowledged", true)] as [(String, Any)])
    }

    /// `DELETE /{index}/_alias/{name}`: 404 when no named alias was on those indices.
    func deleteAlias(indices: String, name: String) throws -> Response {
        try store.updateAliases([.remove(indices: indices, alias: name, mustExist: true)])
        return ESResponse.json(.ok, [("acknowledged", true)] as [(String, Any)])
    }

    /// `GET|HEAD /_alias[/{name}]`, `/{index}/_alias[/{name}]`: per index, its matching aliases.
    func getAliases(indices: String?, name: String?, head: Bool) throws -> Response {
        let all = store.aliasRecords
        let wanted = all.filter { r in name.map { Store.aliasMatches($0, r.alias) } ?? true }
        var scope: [Index]
        if let indices { scope = try store.resolve(indices, expandWildcards: ["open", "closed"]) } else { scope = store.allIndices }
        let inScope = Set(scope.map { $0.uuid })
        var out: [(String, Any)] = []
        for i in scope {
            let mine = wanted.filter { $0.indexUUID == i.uuid && inScope.contains($0.indexUUID) }
            // Asked by name, only indices holding one; otherwise every index, `{}` when none.
            if name != nil && mine.isEmpty { continue }
            out.append((i.name, [("aliases", JSONObject.of(mine.map { ($0.alias, JSONObject.of(Self.aliasJSON($0))) }))] as [(String, Any)]))
        }
        // Concrete names asked for and found nowhere: 404 with what was found, as ES answers.
        let missing = (name ?? "").split(separator: ",").map(String.init)
            .filter { n in !n.contains("*") && n != "_all" && !wanted.contains(where: { w in w.alias == n && inScope.contains(w.indexUUID) }) }
        if head { return ESResponse.json(out.isEmpty && name != nil || !missing.isEmpty ? .notFound : .ok, [UInt8](), head: true) }
        if !missing.isEmpty {
            out.append(("error", "alias [\(EngineError.clip(missing.joined(separator: ",")))] missing"))
            out.append(("status", 404))
            return ESResponse.json(.notFound, out)
        }
        return ESResponse.json(.ok, out)
    }

    /// The alias's attributes as Elasticsearch shows them (only those set).
    static func aliasJSON(_ r: AliasRecord) -> [(String, Any)] {
        var o: [(String, Any)] = []
        if let f = r.filter, let obj = try? JSONSerialization.jsonObject(with: Data(f.utf8)) { o.append(("filter", obj)) }
        if let ir = r.indexRouting { o.append(("index_routing", ir)) }
        if let sr = r.searchRouting { o.append(("search_routing", sr)) }
        if let w = r.isWriteIndex { o.append(("is_write_index", w)) }
        return o
    }

    /// The `aliases` object of `GET /{index}`.
    func aliasesObject(of index: String) -> Any {
        JSONObject.of(store.aliasRecords.filter { $0.index == index }.map { ($0.alias, JSONObject.of(Self.aliasJSON($0))) })
    }


    /// `_cat/aliases[/{name}]`.
    func catAliases(_ name: String?, params: [String: String]) throws -> Response {
        let rows: [[(String, Any)]] = store.aliasRecords.filter { r in name.map { Store.aliasMatches($0, r.alias) } ?? true }.map { r in
            [("alias", r.alias), ("index", r.index), ("filter", r.filter == nil ? "-" : "*"), ("routing.index", r.indexRouting ?? "-"),
             ("routing.search", r.searchRouting ?? "-"), ("is_write_index", r.isWriteIndex.map { String($0) } ?? "-")]
        }
        return try CatTable.render(rows, params: params, defaultColumns: ["alias", "index", "filter", "routing.index", "routing.search", "is_write_index"])
    }
}

/// `_rollover`.
extension API {
    /// `POST /{alias}/_rollover[/{new_index}]`, `?dry_run`.
    func rollover(alias: String, newIndex: String?, body: [UInt8], params: [String: String]) throws -> Response {
        let json = try parseJSONBody(body) as? [String: Any] ?? [:]
        try Param.allow(json, ["conditions", "settings", "mappings", "aliases"], in: "rollover")
        var c = RolloverConditions()
        var shown: [String: String] = [:]
        for (k, v) in json["conditions"] as? [String: Any] ?? [:] {
            let text = "\(v)"
            switch k {
            case "max_age":
                guard let ms = Param.durationMillis(text), ms > 0 else { throw ESError(400, "parse_exception", "failed to parse [max_age] with value [\(EngineError.clip(text, max: 64))] as a time value") }
                c.maxAgeMillis = Int64(ms)
            case "max_docs", "max_primary_shard_docs":
                guard let n = Int64(text), n > 0 else { throw ESError(400, "parse_exception", "[\(k)] must be a positive number of documents") }
                c.maxDocs = min(c.maxDocs ?? .max, n)
            case "max_size", "max_primary_shard_size":
                guard let b = ByteSize.parse(text), b > 0 else { throw ESError(400, "parse_exception", "failed to parse [\(k)] with value [\(EngineError.clip(text, max: 64))] as a size in bytes") }
                c.maxSizeBytes = min(c.maxSizeBytes ?? .max, b)
            default:
                throw ESError(400, "x_content_parse_exception", "[conditions] unknown field [\(EngineError.clip(k, max: 64))]; use max_age, max_docs or max_size")
            }
            shown[k] = text
        }
        var mapping: Mapping? = nil
        if let m = json["mappings"] { mapping = try MappingJSON.parse(m) }
        let settings = try json["settings"].map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        let aliases = json["aliases"] as? [String: Any]
        for (_, b) in aliases ?? [:] { _ = try aliasBody(b as? [String: Any] ?? [:]) }
        let r = try store.rollover(alias: alias, newIndex: newIndex, conditions: c, dryRun: params.flag("dry_run"),
                                   settings: settings, mapping: mapping, aliases: aliases)
        // Each condition as Elasticsearch names it: "[max_docs: 1000]".
        let conds: [(String, Any)] = shown.keys.sorted().map { k in
            let key = k.hasPrefix("max_primary_shard_") ? (k == "max_primary_shard_docs" ? "max_docs" : "max_size") : k
            return ("[\(k): \(shown[k]!)]", r.met[key] ?? false)
        }
        return ESResponse.json(.ok, [("acknowledged", r.rolledOver), ("shards_acknowledged", r.rolledOver), ("old_index", r.oldIndex),
                                     ("new_index", r.newIndex), ("rolled_over", r.rolledOver), ("dry_run", params.flag("dry_run")),
                                     ("conditions", conds)] as [(String, Any)])
    }
}

/// `_resolve/index`.
extension API {
    /// `GET /_resolve/index/{expression}`: the indices and aliases an expression names.
    func resolveIndex(_ expr: String, params: [String: String]) throws -> Response {
        let indices = try store.resolve(expr, ignoreUnavailable: false, expandWildcards: expand(params, default: ["open"]))
        let records = store.aliasRecords
        let parts = expr.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("-") }
        let aliasNames = Set(records.map { $0.alias }).filter { a in parts.contains { $0 == "_all" || $0 == "*" || Store.wildcardMatch($0, a) } }.sorted()
        let ix: [Any] = indices.map { i in
            let mine = records.filter { $0.indexUUID == i.uuid }.map { $0.alias }
            var o: [(String, Any)] = [("name", i.name)]
            if !mine.isEmpty { o.append(("aliases", mine)) }
            o.append(("attributes", [i.currentState == "close" ? "closed" : "open"]))
            return o
        }
        let al: [Any] = aliasNames.map { a in [("name", a), ("indices", records.filter { $0.alias == a }.map { $0.index })] as [(String, Any)] }
        return ESResponse.json(.ok, [("indices", ix), ("aliases", al), ("data_streams", [Any]())] as [(String, Any)])
    }
}
