/// A request the query layer refuses, with the Elasticsearch error type the HTTP layer reports.
public struct QueryError: Error, CustomStringConvertible, Sendable {
    public var type: String
    public var reason: String
    public var status: Int
    public init(_ type: String, _ reason: String, status: Int = 400) { self.type = type; self.reason = reason; self.status = status }
    public var description: String { reason }

    static func parsing(_ r: String) -> QueryError { QueryError("parsing_exception", r) }
    static func illegal(_ r: String) -> QueryError { QueryError("illegal_argument_exception", r) }
    /// The client closed its connection: nobody will read the answer.
    public static let cancelled = QueryError("task_cancelled_exception", "cancelled: the client closed the connection")

    /// Throws `cancelled` when `flag` says the client went away.
    static func check(_ flag: (@Sendable () -> Bool)?) throws {
        if let flag, flag() { throw cancelled }
    }
}
