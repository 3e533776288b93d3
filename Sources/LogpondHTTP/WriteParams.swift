import Foundation
import LogpondEngine

/// Concurrency and update parameters of writes, from a bulk action line or a URL's parameters
/// (the same names): `if_seq_no`, `if_primary_term`, `version`, `version_type`, and an update's
/// body (`doc`, `upsert`, `doc_as_upsert`, `detect_noop`).
enum WriteParams {
    static func conditions(_ p: [String: String], action: String) throws -> WriteConditions {
        // Most bulk action lines carry only `_index`/`_id`: nothing to read.
        guard p["if_seq_no"] != nil || p["if_primary_term"] != nil || p["version"] != nil || p["version_type"] != nil else { return WriteConditions() }
        func number(_ k: String) throws -> Int64? {
            guard let s = p[k] else { return nil }
            guard let v = Int64(s), v >= 0 else {
                throw ESError(400, "illegal_argument_exception", "[\(k)] must be a non-negative whole number, got [\(EngineError.clip(s, max: 32))]")
            }
            return v
        }
        var c = WriteConditions()
        c.ifSeqNo = try number("if_seq_no")
        c.ifPrimaryTerm = try number("if_primary_term")
        c.version = try number("version")
        if let t = p["version_type"] {
            guard let vt = WriteConditions.VersionType(rawValue: t) else {
                throw ESError(400, "illegal_argument_exception", "No version type match [\(EngineError.clip(t, max: 32))]")
            }
            c.versionType = vt
        }
        func invalid(_ why: String) -> ESError { ESError(400, "action_request_validation_exception", "Validation Failed: 1: \(why);") }
        if c.ifPrimaryTerm != nil && c.ifSeqNo == nil { throw invalid("ifSeqNo is unassigned, but primary term is [\(c.ifPrimaryTerm!)]") }
        if c.ifSeqNo != nil && c.ifPrimaryTerm == nil { throw invalid("ifSeqNo is set, but primary term is [0]") }
        if c.ifSeqNo != nil && c.version != nil { throw invalid("compare and write operations can not use versioning") }
        if c.versionType != .internal {
            if action == "update" { throw invalid("version type [\(c.versionType.rawValue)] is not supported by the update API") }
            if action == "create" { throw invalid("create operations only support internal versioning. use index instead") }
            if c.version == nil { throw invalid("an external version is required with version_type [\(c.versionType.rawValue)]") }
        } else if c.version != nil {
            throw invalid("internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead")
        }
        return c
    }

    /// An update body; the partial document keeps its key order (it is cut from the body).
    static func update(_ body: [UInt8]) throws -> UpdateSpec {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw ESError(400, "x_content_parse_exception", "an update body must be a JSON object with [doc] or [upsert]")
        }
        for k in o.keys {
            switch k {
            case "doc", "upsert", "doc_as_upsert", "detect_noop", "_source": continue
            case "script", "scripted_upsert":
                throw ESError(400, "illegal_argument_exception", "script updates are not supported; send the changed fields as a partial document in [doc]")
            default: throw ESError(400, "x_content_parse_exception", "[UpdateRequest] unknown field [\(EngineError.clip(k, max: 64))]")
            }
        }
        func object(_ k: String) throws -> [UInt8]? {
            guard let v = o[k] else { return nil }
            guard v is [String: Any], let bytes = SourceMerge.member(body, k) else {
                throw ESError(400, "x_content_parse_exception", "[\(k)] of an update must be a JSON object")
            }
            return bytes
        }
        func flag(_ k: String, _ def: Bool) throws -> Bool {
            guard let v = o[k] else { return def }
            if let b = v as? Bool { return b }
            if let s = v as? String, s == "true" || s == "false" { return s == "true" }
            throw ESError(400, "x_content_parse_exception", "[\(k)] must be true or false")
        }
        let spec = UpdateSpec(doc: try object("doc"), upsert: try object("upsert"), docAsUpsert: try flag("doc_as_upsert", false),
                              detectNoop: try flag("detect_noop", true))
        if spec.doc == nil && spec.upsert == nil {
            throw ESError(400, "action_request_validation_exception", "Validation Failed: 1: script or doc is missing;")
        }
        return spec
    }
}
