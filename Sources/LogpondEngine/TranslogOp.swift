/// One operation as written to the translog (docs/format/translog.md).
public struct TranslogOp: Sendable, Equatable {
    public enum Kind: UInt8, Sendable { case index = 1, delete = 2 }
    public var kind: Kind
    public var seq: Int64
    public var indexUUID: String
    public var id: String
    public var version: Int64
    public var autoID: Bool
    public var source: [UInt8]

    public init(kind: Kind, seq: Int64, indexUUID: String, id: String, version: Int64, autoID: Bool, source: [UInt8]) {
        self.kind = kind; self.seq = seq; self.indexUUID = indexUUID; self.id = id; self.version = version; self.autoID = autoID; self.source = source
    }

    /// The record payload.
    public func encode(into w: inout ByteWriter) {
        w.u8(kind.rawValue); w.varint(UInt64(seq)); w.string(indexUUID); w.string(id); w.varint(UInt64(version))
        w.u8(autoID ? 1 : 0); w.bytesWithLength(source)
    }

    /// The index uuid of a record whose rest may not decode (for damage reports).
    static func indexUUID(_ buf: UnsafeRawBufferPointer) -> String? {
        var r = ByteReader(buf)
        guard (try? r.u8()).flatMap(Kind.init(rawValue:)) != nil, (try? r.varint()) != nil else { return nil }
        return try? r.string(limit: 256)
    }

    public static func decode(_ buf: UnsafeRawBufferPointer) throws -> TranslogOp {
        var r = ByteReader(buf)
        guard let k = Kind(rawValue: try r.u8()) else { throw ByteReader.Truncated() }
        let seq = Int64(try r.varint())
        let uuid = try r.string(limit: 256), id = try r.string(limit: 4096)
        let version = Int64(try r.varint())
        let auto = try r.u8() == 1
        let src = Array(try r.lengthPrefixed(limit: Limits.maxDocumentBytes))
        return TranslogOp(kind: k, seq: seq, indexUUID: uuid, id: id, version: version, autoID: auto, source: src)
    }
}
