/// A document as returned by a realtime get.
public struct StoredHit: Sendable {
    public var index: String
    public var id: String
    public var version: Int64
    public var seq: Int64
    public var source: [UInt8]
}

/// The outcome of one write operation, as `_bulk` reports it.
public struct WriteResult: Sendable {
    public enum Outcome: String, Sendable { case created, updated, deleted, notFound = "not_found", noop }
    public var index: String
    public var id: String
    public var version: Int64
    public var seq: Int64
    public var outcome: Outcome
}
