import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Tells a search its client has gone: each connection gets an id, stamped on its requests
/// (`x-logpond-connection`, replacing anything a client sent), and marked closed when the
/// channel goes inactive. Searches look the id up and stop at their next segment once it is
/// closed; a search still queued for the pool leaves the queue (Elasticsearch cancels a
/// search whose HTTP channel closes, too).
final class ConnectionWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    static let header = HTTPField.Name("x-logpond-connection")!
    let connection = ClientConnection()

    func handlerAdded(context: ChannelHandlerContext) {
        connection.address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        ClientConnection.register(connection)
    }
    func handlerRemoved(context: ChannelHandlerContext) { connection.close() }
    func channelInactive(context: ChannelHandlerContext) {
        connection.close()
        context.fireChannelInactive()
    }

    /// The server allows half-closure, so a client's close arrives as the end of its input.
    /// An HTTP client that shuts its sending side down and still waits for the answer is
    /// rare enough (curl, libcurl, urllib3 and Go's client do not) to be treated as gone.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed { connection.close() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(var head) = unwrapInboundIn(data) {
            head.headerFields[Self.header] = String(connection.id)
            context.fireChannelRead(wrapInboundOut(.head(head)))
            return
        }
        let end: Bool
        if case .end = unwrapInboundIn(data) { end = true } else { end = false }
        context.fireChannelRead(data)
        // While a request is handled nobody asks the socket for more, so a client's close
        // would go unseen until the response: one read after each request's end lets the
        // end of file (or the next pipelined request, buffered as usual) arrive.
        if end { context.read() }
    }
}

/// One client connection's open/closed state, shared by the channel and its searches.
final class ClientConnection: @unchecked Sendable {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var nextID: UInt64 = 0
    nonisolated(unsafe) private static var open: [UInt64: ClientConnection] = [:]

    let id: UInt64
    /// The client's IP address, for log lines (failed logins).
    var address: String {
        get { stateLock.withLock { addressValue } }
        set { stateLock.withLock { addressValue = newValue } }
    }
    private var addressValue = "unknown"
    private let stateLock = NSLock()
    private var closed = false

    init() { id = Self.lock.withLock { Self.nextID &+= 1; return Self.nextID } }

    static func register(_ c: ClientConnection) { lock.withLock { open[c.id] = c } }

    /// The connection a request came on (nil for in-process requests).
    static func of(_ headers: HTTPFields) -> ClientConnection? {
        guard let v = headers[ConnectionWatch.header], let id = UInt64(v) else { return nil }
        return lock.withLock { open[id] }
    }

    var isClosed: Bool { stateLock.withLock { closed } }

    func close() {
        stateLock.withLock { closed = true }
        Self.lock.withLock { _ = Self.open.removeValue(forKey: id) }
    }
}
