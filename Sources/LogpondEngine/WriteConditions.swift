import Foundation

/// Optimistic concurrency on one write: `if_seq_no`/`if_primary_term`, or an external version.
public struct WriteConditions: Sendable, Equatable {
    public var ifSeqNo: Int64?
    public var ifPrimaryTerm: Int64?
    /// With `versionType` external or external_gte: the version the document gets.
    public var version: Int64?
    public var versionType: VersionType = .internal
    public init(ifSeqNo: Int64? = nil, ifPrimaryTerm: Int64? = nil, version: Int64? = nil, versionType: VersionType = .internal) {
        self.ifSeqNo = ifSeqNo; self.ifPrimaryTerm = ifPrimaryTerm; self.version = version; self.versionType = versionType
    }

    /// Elasticsearch's `version_type`.
    public enum VersionType: String, Sendable { case `internal`, external, externalGte = "external_gte" }

    /// Every document has primary term 1: one shard, one primary, never failed over.
    public static let primaryTerm: Int64 = 1

    /// Throws a version conflict when the live document (nil: none) does not satisfy these.
    func check(index: String, id: String, existing: (version: Int64, seq: Int64)?) throws {
        if let want = ifSeqNo {
            let term = ifPrimaryTerm ?? Self.primaryTerm
            guard let e = existing else {
                throw EngineError.conflict(index: index, id: id, detail: "required seqNo [\(want)], primary term [\(term)]. but no document was found")
            }
            if e.seq != want || term != Self.primaryTerm {
                throw EngineError.conflict(index: index, id: id, detail: "required seqNo [\(want)], primary term [\(term)]. current document has seqNo [\(e.seq)] and primary term [\(Self.primaryTerm)]")
            }
        }
        if let v = version, let e = existing {
            switch versionType {
            case .external where v <= e.version:
                throw EngineError.conflict(index: index, id: id, detail: "current version [\(e.version)] is higher or equal to the one provided [\(v)]")
            case .externalGte where v < e.version:
                throw EngineError.conflict(index: index, id: id, detail: "current version [\(e.version)] is higher than the one provided [\(v)]")
            default: break
            }
        }
    }

    /// The version a write gives the document.
    func nextVersion(after existing: Int64?) -> Int64 {
        if versionType != .internal, let v = version { return v }
        return (existing ?? 0) + 1
    }
}

/// `_update`'s partial document and upsert rules.
public struct UpdateSpec: Sendable {
    public var doc: [UInt8]?
    public var upsert: [UInt8]?
    public var docAsUpsert = false
    public var detectNoop = true
    public init(doc: [UInt8]?, upsert: [UInt8]? = nil, docAsUpsert: Bool = false, detectNoop: Bool = true) {
        self.doc = doc; self.upsert = upsert; self.docAsUpsert = docAsUpsert; self.detectNoop = detectNoop
    }
}
