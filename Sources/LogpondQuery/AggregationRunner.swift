import Foundation
import LogpondEngine

/// Runs the `aggs` of a search over the query's matches.
public struct AggregationRunner {
    public let request: SearchRequest
    public let snapshots: [IndexSnapshot]
    public init(request: SearchRequest, snapshots: [IndexSnapshot]) { self.request = request; self.snapshots = snapshots }

    public func run(_ aggs: [String: Any]) throws -> [UInt8] {
        throw QueryError("illegal_argument_exception", "aggregations are not supported yet")
    }
}
