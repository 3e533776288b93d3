import CZlib
import Foundation
import LogpondEngine

/// One Forward protocol message, interpreted: Message, Forward, PackedForward and
/// CompressedPackedForward modes all become a tag, events and the options.
public struct ForwardMessage {
    /// One record with its event time (nanoseconds since the epoch).
    public struct Event { public var nanos: Int64; public var record: MPValue }
    public var tag: String
    public var events: [Event]
    /// `chunk` of the options: answered with `{"ack": chunk}` once the events are durable.
    public var chunk: String?

    /// Why a message is refused (the connection is closed: the protocol has no error reply).
    public struct Refused: Error, CustomStringConvertible { public let description: String }

    public static func interpret(_ v: MPValue, maxDepth: Int, maxBytes: Int) throws -> ForwardMessage {
        guard case .array(let a) = v, a.count >= 2, let tag = a[0].string else {
            throw Refused(description: "a message must be an array starting with its tag")
        }
        var options: MPValue? = nil
        var events: [Event] = []
        switch a[1] {
        case .array(let entries):
            // Forward mode: [tag, [[time, record], …], options?]
            options = a.count > 2 ? a[2] : nil
            for e in entries { events.append(try event(e)) }
        case .str(let packed), .bin(let packed):
            // PackedForward: the entries as concatenated MessagePack; gzip'd when compressed.
            options = a.count > 2 ? a[2] : nil
            var bytes = packed
            if options?["compressed"]?.string == "gzip" { bytes = try gunzip(packed, limit: maxBytes) }
            try bytes.withUnsafeBytes { buf in
                var i = 0
                while i < buf.count {
                    let before = i
                    let v = try MessagePack.decode(buf, at: &i, maxDepth: maxDepth)
                    guard i > before else { throw Refused(description: "an entry took no bytes") }
                    events.append(try event(v))
                }
            }
        default:
            // Message mode: [tag, time, record, options?]
            guard a.count >= 3 else { throw Refused(description: "a message-mode message needs a time and a record") }
            options = a.count > 3 ? a[3] : nil
            events.append(Event(nanos: try time(a[1]), record: a[2]))
        }
        if let o = options { guard case .map = o else { throw Refused(description: "options must be a map") } }
        return ForwardMessage(tag: tag, events: events, chunk: options?["chunk"]?.string)
    }

    static func event(_ e: MPValue) throws -> Event {
        guard case .array(let p) = e, p.count >= 2 else { throw Refused(description: "an entry must be [time, record]") }
        // Fluent Bit 2.1+ with metadata kept: [[time, metadata], record].
        if case .array(let tm) = p[0], let t = tm.first { return Event(nanos: try time(t), record: p[1]) }
        return Event(nanos: try time(p[0]), record: p[1])
    }

    /// Integer seconds, a float, or EventTime (ext 0: seconds and nanoseconds, big-endian),
    /// from the epoch to `Limits.maxForwardEventSeconds`.
    static func time(_ v: MPValue) throws -> Int64 {
        let limit = Limits.maxForwardEventSeconds
        let late = Refused(description: "an event time must be between 1970 and 2262")
        switch v {
        case .int(let s): guard s >= 0 && s <= limit else { throw late }; return s * 1_000_000_000
        case .uint(let s): guard s <= UInt64(limit) else { throw late }; return Int64(s) * 1_000_000_000
        case .double(let d):
            guard d.isFinite && d >= 0 && d <= Double(limit) else { throw late }
            return Int64(d * 1e9)
        case .ext(0, let b) where b.count == 8:
            let s = b[0..<4].reduce(Int64(0)) { $0 << 8 | Int64($1) }, n = b[4..<8].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            guard n < 1_000_000_000 else { throw Refused(description: "an EventTime has \(n) nanoseconds") }
            guard s <= limit else { throw late }
            return s * 1_000_000_000 + n
        default: throw Refused(description: "an event time must be a number of seconds or an EventTime")
        }
    }

    /// Every gzip member in turn (Fluent Bit may send several), stopped at `limit` bytes out.
    static func gunzip(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var strm = z_stream()
        guard inflateInit2_(&strm, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw Refused(description: "gzip: cannot start") }
        defer { inflateEnd(&strm) }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        try input.withUnsafeBufferPointer { inp in
            strm.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            strm.avail_in = uInt(inp.count)
            while true {
                let r: Int32 = chunk.withUnsafeMutableBufferPointer { c in
                    strm.next_out = c.baseAddress; strm.avail_out = uInt(c.count)
                    return inflate(&strm, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(strm.avail_out)
                out.append(contentsOf: chunk[0..<produced])
                guard out.count <= limit else { throw Refused(description: "gzip: entries inflate past \(limit) bytes") }
                if r == Z_STREAM_END {
                    if strm.avail_in == 0 { return }
                    guard inflateReset(&strm) == Z_OK else { throw Refused(description: "gzip: cannot read the next member") }
                    continue
                }
                guard r == Z_OK else { throw Refused(description: "gzip: the entries are not valid gzip (\(r))") }
                if produced == 0 && strm.avail_in == 0 { throw Refused(description: "gzip: the entries end in the middle of a stream") }
            }
        }
        return out
    }
}
