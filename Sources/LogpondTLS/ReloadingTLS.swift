import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// The TLS context new connections get. Reloading swaps it: connections already open keep the
/// context they started with, so none is dropped.
public final class TLSContextHolder: Sendable {
    private let box: NIOLockedValueBox<NIOSSLContext>
    public let settings: TLSSettings

    public init(_ settings: TLSSettings) throws {
        self.settings = settings
        box = NIOLockedValueBox(try settings.makeContext())
    }

    var current: NIOSSLContext { box.withLockedValue { $0 } }

    /// Reads the files again; on any problem the old context stays and the problem is thrown.
    public func reload() throws { let fresh = try settings.makeContext(); box.withLockedValue { $0 = fresh } }
}

/// Hummingbird's `TLSChannel`, but asking the holder for the context at every connection.
struct ReloadingTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let holder: TLSContextHolder

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: holder.current))
        }.flatMap { base.setup(channel: channel, logger: logger) }
    }

    func handle(value: Base.Value, logger: Logger) async { await base.handle(value: value, logger: logger) }
}

extension ReloadingTLSChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 over TLS, with certificates that `holder.reload()` can replace.
    public static func reloadingTLS(_ configuration: HTTP1Channel.Configuration, holder: TLSContextHolder) -> HTTPServerBuilder {
        .init { responder in ReloadingTLSChannel(base: HTTP1Channel(responder: responder, configuration: configuration), holder: holder) }
    }
}
