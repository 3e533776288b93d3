import Foundation
import LogpondEngine
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small blocking HTTP/1.1 client for the CLI (`curate`): one request per connection, HTTPS
/// trusting the system's authorities or a given one (`--cacert`), a deadline on the whole exchange.
struct HTTPFetch {
    var caFile: String?
    var timeoutSeconds: Double

    struct Reply { var status: Int; var body: Data }
    struct Failure: Error, CustomStringConvertible { let description: String }

    func send(_ method: HTTPMethod, _ urlString: String, headers: [(String, String)]) throws -> Reply {
        guard let url = URL(string: urlString), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw Failure(description: "bad URL \(urlString); use http://HOST:PORT or https://HOST:PORT")
        }
        let https = scheme == "https"
        let port = url.port ?? (https ? 443 : 80)
        var tls: NIOSSLContext?
        if https {
            var config = TLSConfiguration.makeClientConfiguration()
            if let caFile {
                guard FileManager.default.isReadableFile(atPath: caFile) else { throw Failure(description: "cannot read --cacert \(caFile)") }
                config.trustRoots = .file(caFile)
            }
            tls = try NIOSSLContext(configuration: config)
        } else if caFile != nil {
            throw Failure(description: "--cacert is given but the URL \(urlString) is plain http; use https://")
        }
        let timeout = TimeAmount.milliseconds(Int64(max(1, min(timeoutSeconds, 86_400)) * 1000))
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Reply.self)
        let isIP = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        let bootstrap = ClientBootstrap(group: group).connectTimeout(timeout).channelInitializer { ch in
            ch.eventLoop.makeCompletedFuture {
                if let tls { try ch.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isIP ? nil : host)) }
                try ch.pipeline.syncOperations.addHTTPClientHandlers()
                try ch.pipeline.syncOperations.addHandler(Collector(promise: promise))
            }
        }
        let channel: Channel
        do { channel = try bootstrap.connect(host: host, port: port).wait() } catch {
            promise.fail(error)     // never used, but a promise must not be dropped unfulfilled
            throw Failure(description: "cannot reach \(urlString): \(error); is the server running? pass --url to point elsewhere")
        }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "no answer from \(urlString) within \(timeoutSeconds) s; raise --timeout or check the server"))
            channel.close(promise: nil)
        }
        var path = url.path.isEmpty ? "/" : url.path
        if let q = url.query { path += "?" + q }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Content-Length", value: "0")
        for (k, v) in headers { head.headers.add(name: k, value: v) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer { deadline.cancel(); channel.close(promise: nil) }
        do { return try promise.futureResult.wait() } catch let e as Failure { throw e } catch where error is NIOSSLError || error is BoringSSLError {
            throw Failure(description: "TLS with \(urlString) failed (\(error)); pass --cacert FILE with the authority that signed the server's certificate")
        } catch {
            throw Failure(description: "request to \(urlString) failed: \(error)")
        }
    }

    /// Gathers one response; fails the promise if the connection ends first.
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<Reply>
        var status = 0
        var body = Data()
        init(promise: EventLoopPromise<Reply>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): status = Int(clamping: h.status.code)
            case .body(var b):
                guard body.count + b.readableBytes <= Limits.cliAnswerBytes else {
                    promise.fail(Failure(description: "answer larger than \(Limits.cliAnswerBytes >> 20) MiB; is this an Elasticsearch-compatible server?"))
                    context.close(promise: nil)
                    return
                }
                if let bytes = b.readBytes(length: b.readableBytes) { body.append(contentsOf: bytes) }
            case .end: promise.succeed(Reply(status: status, body: body))
            }
        }
        func errorCaught(context: ChannelHandlerContext, error: Error) { promise.fail(error); context.close(promise: nil) }
        func channelInactive(context: ChannelHandlerContext) { promise.fail(Failure(description: "the server closed the connection before answering")) }
    }
}
