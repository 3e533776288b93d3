import Crypto
import Foundation
import LogpondEngine
import LogpondForward
import NIOCore
import NIOPosix

/// `logpond.forward.*`: the Fluent Forward input.
public struct ForwardConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 24224
    /// The shared key of the handshake; nil accepts clients without one.
    public var sharedKey: String?
    /// Documents go to `<prefix>-YYYY.MM.DD` of their event time.
    public var indexPrefix = "logstash"
    /// The name this server gives in the handshake (`self_hostname`).
    public var hostname = "logpond"
    /// A message larger than this closes its connection (the client sends it again smaller).
    public var maxMessageBytes = Limits.maxForwardMessageBytes
    public init() {}
}

/// The Fluent Forward protocol v1 over TCP (Fluent Bit's and fluentd's `forward` output):
/// each message's events are written through the same durable path as `_bulk`, and a message
/// that asks for one (`chunk`) is acknowledged only after its translog fsync.
public final class ForwardServer: Sendable {
    let store: Store
    let config: ForwardConfig

    public init(store: Store, config: ForwardConfig) { self.store = store; self.config = config }

    /// Listens until cancelled; `onBound` gets the port (0 in the config picks a free one).
    public func run(onBound: @Sendable (Int) -> Void) async throws {
        let maxBytes = config.maxMessageBytes
        // With a shared key the first message is the PING: a client that has not proven the
        // key may not make the server hold more than a PING's worth of its bytes.
        let firstMax = config.sharedKey == nil ? maxBytes : min(maxBytes, Limits.maxForwardHandshakeBytes)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: config.host, port: config.port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(ForwardFrameDecoder(maxBytes: maxBytes, firstMaxBytes: firstMax)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        onBound(server.channel.localAddress?.port ?? config.port)
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await conn in inbound {
                    group.addTask { await self.serve(conn) }
                }
            }
        }
    }

    /// One connection: the handshake when a shared key is set, then messages in order.
    func serve(_ conn: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let peer = conn.channel.remoteAddress?.description ?? "?"
        do {
            try await conn.executeThenClose { inbound, outbound in
                var handshake = config.sharedKey.map { ForwardHandshake(sharedKey: $0, hostname: config.hostname) }
                if let h = handshake { try await outbound.write(ByteBuffer(bytes: h.helo())) }
                for try await frame in inbound {
                    let value: MPValue = try frame.withUnsafeReadableBytes { buf in
                        var i = 0
                        return try MessagePack.decode(buf, at: &i, maxDepth: Limits.maxRequestJSONDepth)
                    }
                    if let h = handshake {
                        let (reply, ok) = h.pong(for: value)
                        try await outbound.write(ByteBuffer(bytes: reply))
                        guard ok else { store.log("[logpond] forward: \(peer) failed the shared-key handshake", .warning); return }
                        handshake = nil
                        continue
                    }
                    let msg = try ForwardMessage.interpret(value, maxDepth: Limits.maxRequestJSONDepth, maxBytes: config.maxMessageBytes)
                    try await write(msg, bytes: frame.readableBytes, peer: peer)
                    if let chunk = msg.chunk {
                        var out: [UInt8] = []
                        MessagePack.encode(.map([(.str(Array("ack".utf8)), .str(Array(chunk.utf8)))]), into: &out)
                        try await outbound.write(ByteBuffer(bytes: out))
                    }
                }
            }
        } catch {
            // Nothing of an unacknowledged message is promised: the client sends it again.
            store.log("[logpond] forward: closed the connection from \(peer): \(EngineError.clip("\(error)", max: 300))", .warning)
        }
    }

    /// Writes a message's events; returns once they are durable. Records the mapping refuses
    /// are logged (the protocol cannot say which failed) and the rest are kept.
    func write(_ msg: ForwardMessage, bytes: Int, peer: String) async throws {
        var ops: [WriteOp] = []
        var notMaps = 0
        ops.reserveCapacity(msg.events.count)
        for e in msg.events {
            guard let src = ForwardDocument.source(e.record, nanos: e.nanos, tag: msg.tag) else { notMaps += 1; continue }
            ops.append(WriteOp(action: .create, index: ForwardDocument.index(prefix: config.indexPrefix, nanos: e.nanos), id: nil, source: src))
        }
        guard !ops.isEmpty else { return }
        let results = try await store.withIndexingPressure(bytes: bytes) { try await store.write(ops) }
        let failed = results.compactMap { r -> EngineError? in if case .failure(let e) = r { return e } else { return nil } }
        if !failed.isEmpty || notMaps > 0 {
            store.log("[logpond] forward: \(failed.count + notMaps) of \(msg.events.count) records from \(peer) (tag \(EngineError.clip(msg.tag, max: 64))) were not stored: \(failed.first.map { EngineError.clip($0.description, max: 200) } ?? "a record is not a map")", .warning)
        }
    }
}

/// Cuts the byte stream into whole MessagePack values (one Forward message each).
struct ForwardFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maxBytes: Int
    /// The limit of the message being received: `firstMaxBytes` until one has been taken.
    var limit: Int
    /// Where the scan of the message being received stopped: each read goes on from there
    /// (the unread bytes keep their offsets until the whole message is taken).
    var scan = MessagePack.LengthScan()

    init(maxBytes: Int, firstMaxBytes: Int) { self.maxBytes = maxBytes; limit = firstMaxBytes }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let max = limit
        let n = try buffer.withUnsafeReadableBytes { try scan.advance($0, maxDepth: Limits.maxRequestJSONDepth, maxBytes: max) }
        guard let n, let frame = buffer.readSlice(length: n) else { return .needMoreData }
        scan = MessagePack.LengthScan()
        limit = maxBytes
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }
}

/// The shared-key handshake of Forward protocol v1 (HELO, PING, PONG).
struct ForwardHandshake {
    let sharedKey: String
    let hostname: String
    let nonce: [UInt8] = (0..<16).map { _ in UInt8.random(in: 0...255) }

    func helo() -> [UInt8] {
        var out: [UInt8] = []
        MessagePack.encode(.array([.str(Array("HELO".utf8)), .map([(.str(Array("nonce".utf8)), .bin(nonce)), (.str(Array("auth".utf8)), .bin([])),
                                                                  (.str(Array("keepalive".utf8)), .bool(true))])]), into: &out)
        return out
    }

    static func digest(_ parts: [[UInt8]]) -> String {
        var h = SHA512()
        for p in parts { h.update(data: p) }
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The PONG for a PING, and whether the client proved it holds the key.
    func pong(for ping: MPValue) -> ([UInt8], Bool) {
        var ok = false, reason = "shared key mismatch", salt: [UInt8] = []
        if case .array(let a) = ping, a.count >= 4, a[0].string == "PING", case .str(let host) = a[1],
           let s = a[2].string.map({ Array($0.utf8) }), let given = a[3].string {
            salt = s
            ok = Self.digest([s, host, nonce, Array(sharedKey.utf8)]) == given
            if ok { reason = "" }
        } else {
            reason = "expected PING"
        }
        var out: [UInt8] = []
        let proof = ok ? Self.digest([salt, Array(hostname.utf8), nonce, Array(sharedKey.utf8)]) : ""
        MessagePack.encode(.array([.str(Array("PONG".utf8)), .bool(ok), .str(Array(reason.utf8)), .str(Array(hostname.utf8)), .str(Array(proof.utf8))]), into: &out)
        return (out, ok)
    }
}
