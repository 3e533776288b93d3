import Foundation
import Hummingbird
import LogpondQuery
import HTTPTypes

/// Builds responses the way Elasticsearch sends them: JSON content type and the product
/// header on every response, errors included.
enum ESResponse {
    /// `?pretty` on the current request.
    @TaskLocal static var pretty = false
    static let productHeader = HTTPField.Name("X-Elastic-Product")!
    /// Time the server spent on the request (body read, work, response built), in microseconds:
    /// `took` has only milliseconds, and the benchmark sets it against in-process peers.
    static let serverTimeHeader = HTTPField.Name("X-Logpond-Server-Micros")!

    static func json(_ status: HTTPResponse.Status, _ input: [UInt8], head: Bool = false) -> Response {
        let bytes = pretty ? prettyPrint(input) : input
        var h = HTTPFields()
        h[.contentType] = "application/json; charset=UTF-8"
        h[ESResponse.productHeader] = "Elasticsearch"
        if head {
            h[.contentLength] = String(bytes.count)
            return Response(status: status, headers: h, body: ResponseBody())
        }
        return Response(status: status, headers: h, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: Any) -> Response {
        var w = JSONWriter()
        w.any(value)
        return json(status, w.bytes)
    }

    static func text(_ status: HTTPResponse.Status, _ s: String) -> Response {
        var h = HTTPFields()
        h[.contentType] = "text/plain; charset=UTF-8"
        h[ESResponse.productHeader] = "Elasticsearch"
        return Response(status: status, headers: h, body: ResponseBody(byteBuffer: ByteBuffer(string: s)))
    }

    static func prettyPrint(_ bytes: [UInt8]) -> [UInt8] { JSONWriter.pretty(bytes) }
}

/// An Elasticsearch error: HTTP status, `error.type` and `error.reason`.
struct ESError: Error {
    var status: Int
    var type: String
    var reason: String
    var extra: [(String, String)] = []
    /// Numeric members (`bytes_wanted`, `bytes_limit` of a circuit breaker).
    var numbers: [(String, Int64)] = []
    /// A 401 that names the schemes a client may use (`WWW-Authenticate`, in the body's
    /// `header` and as response headers, as Elasticsearch sends them).
    var authenticate = false
    static let authenticateSchemes = ["Basic realm=\"security\" charset=\"UTF-8\"", "ApiKey"]

    init(_ status: Int, _ type: String, _ reason: String, numbers: [(String, Int64)] = [], extra: [(String, String)] = [], authenticate: Bool = false) {
        self.status = status; self.type = type; self.reason = reason; self.extra = extra; self.numbers = numbers
        self.authenticate = authenticate
    }

    /// The full error body: `{"error":{"root_cause":[…],"type":…,"reason":…},"status":N}`.
    var body: [UInt8] {
        var w = JSONWriter()
        func schemes() {
            w.raw(",\"header\":{\"WWW-Authenticate\":[")
            for (i, s) in Self.authenticateSchemes.enumerated() { if i > 0 { w.comma() }; w.string(s) }
            w.raw("]}")
        }
        func inner() {
            w.raw("{\"type\":"); w.string(type); w.raw(",\"reason\":"); w.string(reason)
            for (k, v) in numbers { w.comma(); w.key(k); w.int(Int(v)) }
            for (k, v) in extra { w.comma(); w.key(k); w.string(v) }
            if authenticate { schemes() }
            w.raw("}")
        }
        w.raw("{\"error\":{\"root_cause\":["); inner(); w.raw("],\"type\":"); w.string(type); w.raw(",\"reason\":"); w.string(reason)
        for (k, v) in numbers { w.comma(); w.key(k); w.int(Int(v)) }
        for (k, v) in extra { w.comma(); w.key(k); w.string(v) }
        if authenticate { schemes() }
        w.raw("},\"status\":"); w.int(status); w.raw("}")
        return w.bytes
    }

    var response: Response {
        var r = ESResponse.json(HTTPResponse.Status(code: status), body)
        if authenticate { for s in Self.authenticateSchemes { r.headers.append(HTTPField(name: .wwwAuthenticate, value: s)) } }
        return r
    }

    static func badRequest(_ reason: String, type: String = "illegal_argument_exception") -> ESError { ESError(400, type, reason) }
}
