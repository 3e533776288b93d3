import Foundation
import Hummingbird
import LogpondEngine
import LogpondQuery

/// `_bulk`: NDJSON action/source pairs; each item succeeds or fails alone.
extension API {
    struct ParsedItem {
        var action: String
        var op: WriteOp?
        var error: ESError?
        var index: String
        var id: String?
    }

    /// Splits the body into items; a malformed action line fails the whole request.
    static func parseBulk(_ body: [UInt8], defaultIndex: String?) throws -> [ParsedItem] {
        try body.withUnsafeBufferPointer { try parseBulk($0, defaultIndex: defaultIndex) }
    }

    static func parseBulk(_ body: UnsafeBufferPointer<UInt8>, defaultIndex: String?) throws -> [ParsedItem] {
        var items: [ParsedItem] = []
        let fl = JSONFlattener()
        var lineNo = 0
        var at = 0
        // The next line without its newline and surrounding blanks (memchr to each newline: a
        // byte loop over the body cost 1 µs per document).
        func nextLine() -> UnsafeBufferPointer<UInt8>? {
            guard at < body.count, let base = body.baseAddress else { return nil }
            var end = body.count
            if let nl = memchr(base + at, 10, body.count - at) {
                end = base.distance(to: nl.assumingMemoryBound(to: UInt8.self))
            }
            var s = at, e = end
            at = end + 1
            while e > s, base[e - 1] == 13 || base[e - 1] == 32 || base[e - 1] == 9 { e -= 1 }
            while s < e, base[s] == 32 || base[s] == 9 { s += 1 }
            return UnsafeBufferPointer(rebasing: body[s..<e])
        }
        while let line = nextLine() {
            lineNo += 1
            if line.isEmpty { continue }
            let action: String
            var metaIndex: String? = nil, metaID: String? = nil
            var meta: [String: String] = [:]
            if let quick = BulkActionLine.parse(line) {
                action = quick.action
                metaIndex = quick.index
                metaID = quick.id
            } else {
                let events: [(kind: FlatEvent.Kind, path: String, string: String, int: Int64, double: Double)]
                do { events = try fl.events(UnsafeRawBufferPointer(line)) }
                catch { throw ESError(400, "illegal_argument_exception", "Malformed action/metadata line [\(lineNo)], expected START_OBJECT but found [invalid JSON: \(error)]") }
                // Byte checks: String.contains(String) goes through Foundation and cost 3% of ingest.
                func topLevel(_ p: String) -> Bool { !p.isEmpty && !p.utf8.contains(UInt8(ascii: ".")) }
                let top = events.filter { $0.kind == .object && topLevel($0.path) }
                guard top.count == 1, events.filter({ topLevel($0.path) }).count == 1 else {
                    throw ESError(400, "illegal_argument_exception", "Malformed action/metadata line [\(lineNo)], expected a simple value for field [\(events.first { !$0.path.isEmpty }?.path ?? "")] but found [START_OBJECT]")
                }
                action = top[0].path
                for e in events where e.path.hasPrefix(action + ".") {
                    let k = String(e.path.dropFirst(action.count + 1))
                    meta[k] = e.kind == .string ? e.string : e.kind == .int ? String(e.int) : e.kind == .double ? String(e.double) : ""
                }
                metaIndex = meta["_index"]
                metaID = meta["_id"]
            }
            let index = metaIndex ?? defaultIndex ?? ""
            let id = metaID.flatMap { $0.isEmpty ? nil : $0 }
            switch action {
            case "index", "create", "delete", "update":
                break
            default:
                throw ESError(400, "illegal_argument_exception", "Malformed action/metadata line [\(lineNo)], expected field [create], [delete], [index] or [update] but found [\(EngineError.clip(action, max: 64))]")
            }
            var source: [UInt8] = []
            if action != "delete" {
                guard let next = nextLine() else {
                    throw ESError(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
                }
                source = Array(next); lineNo += 1
            }
            var item = ParsedItem(action: action, op: nil, error: nil, index: index, id: id)
            if index.isEmpty {
                // Refused below with the whole request.
            } else if (action == "delete" || action == "update") && id == nil {
                item.error = ESError(400, "action_request_validation_exception", "Validation Failed: 1: id is missing;")
            } else {
                do {
                    let conditions = try WriteParams.conditions(meta, action: action)
                    if action == "update" {
                        let spec = try WriteParams.update(source)
                        item.op = WriteOp(action: .update, index: index, id: id, source: [], conditions: conditions, update: spec)
                    } else {
                        item.op = WriteOp(action: WriteOp.Action(rawValue: action)!, index: index, id: id, source: source, conditions: conditions)
                    }
                } catch let e as ESError {
                    item.error = e
                }
            }
            items.append(item)
        }
        if items.isEmpty { throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;") }
        // As Elasticsearch validates a bulk request before running any of it: an action with no
        // index (none in the path either) fails the whole request, one numbered error per action.
        let missing = items.filter { $0.index.isEmpty }.count
        if missing > 0 {
            let listed = (1...min(missing, 10)).map { "\($0): index is missing;" }.joined()
            throw ESError(400, "action_request_validation_exception", "Validation Failed: \(listed)\(missing > 10 ? " and \(missing - 10) more;" : "")")
        }
        return items
    }

    func bulk(body: [UInt8], defaultIndex: String?, params: [String: String], started: UInt64) async throws -> Response {
        let refresh = try URLParams.refresh(params)
        // Elasticsearch refuses a body whose last line has no newline: it may be cut short.
        if let last = body.last, last != 10 {
            throw ESError(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
        }
        var items = try Self.parseBulk(body, defaultIndex: defaultIndex)
        let ops = items.compactMap { $0.op }
        let results = try await store.write(ops, refresh: refresh)
        var names: [String] = []
        for op in ops where names.last != op.index && !names.contains(op.index) { names.append(op.index) }
        logSlowBulk(names, items: items.count, started: started)
        var w = JSONWriter(capacity: items.count * 120 + 64)
        var errors = false
        var k = 0
        var itemsJSON = JSONWriter(capacity: items.count * 120)
        for i in items.indices {
            if i > 0 { itemsJSON.comma() }
            itemsJSON.raw("{"); itemsJSON.key(items[i].action); itemsJSON.raw("{\"_index\":")
            // The concrete index written (an alias's write index), as Elasticsearch answers.
            if items[i].op != nil, case .success(let r) = results[k] { itemsJSON.string(r.index) } else { itemsJSON.string(items[i].index) }
            if items[i].op != nil {
                switch results[k] {
                case .success(let r):
                    items[i].id = r.id
                    itemsJSON.raw(",\"_id\":"); itemsJSON.string(r.id)
                    itemsJSON.raw(",\"_version\":"); itemsJSON.int(r.version)
                    itemsJSON.raw(",\"result\":"); itemsJSON.string(r.outcome.rawValue)
                    // Only where a client may act on them: updates, deletes, conditional writes.
                    // A collector's plain index/create items stay near 110 bytes (Fluent Bit
                    // reads 512 KiB of response by default).
                    if let op = items[i].op, op.action == .update || op.action == .delete || op.conditions != WriteConditions() {
                        itemsJSON.raw(",\"_seq_no\":"); itemsJSON.int(r.seq); itemsJSON.raw(",\"_primary_term\":1")
                    }
                    itemsJSON.raw(",\"status\":")
                    itemsJSON.int(r.outcome == .created ? 201 : r.outcome == .notFound ? 404 : 200)
                case .failure(let e):
                    items[i].error = ErrorMapping.engine(e)
                }
                k += 1
            }
            if let e = items[i].error {
                errors = true
                if let id = items[i].id { itemsJSON.raw(",\"_id\":"); itemsJSON.string(id) }
                itemsJSON.raw(",\"status\":"); itemsJSON.int(e.status)
                itemsJSON.raw(",\"error\":{\"type\":"); itemsJSON.string(e.type); itemsJSON.raw(",\"reason\":"); itemsJSON.string(EngineError.clip(e.reason, max: 512))
                itemsJSON.raw("}")
            }
            itemsJSON.raw("}}")
        }
        w.raw("{\"took\":"); w.int(tookMillis(started)); w.raw(",\"errors\":"); w.bool(errors); w.raw(",\"items\":[")
        w.raw(itemsJSON.bytes); w.raw("]}")
        return ESResponse.json(.ok, w.bytes)
    }
}
