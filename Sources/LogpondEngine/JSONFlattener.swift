import CSimdJSON

/// One leaf (or object/array start) of a flattened JSON document.
public struct FlatEvent {
    public enum Kind: UInt32 { case object = 1, string, int, uint, double, `true`, `false`, null, array }
    public var kind: Kind
    public var path: UnsafeBufferPointer<UInt8>
    public var string: UnsafeBufferPointer<UInt8>
    public var int: Int64
    public var double: Double
    public var depth: Int
    public var pathString: String { String(decoding: path, as: UTF8.self) }
    public var stringValue: String { String(decoding: string, as: UTF8.self) }
}

/// Wraps one simdjson parser (not thread-safe: one per thread or per request).
public final class JSONFlattener {
    private let parser: OpaquePointer

    public struct ParseError: Error, CustomStringConvertible { public let description: String }

    public init() {
        guard let p = lp_json_parser_new() else { fatalError("out of memory creating the JSON parser") }
        parser = p
    }
    deinit { lp_json_parser_free(parser) }

    /// Flattens `bytes` (one JSON object) and hands the events to `body`; the events are valid
    /// only inside `body`.
    public func flatten<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<lp_event>, UnsafePointer<UInt8>?) throws -> R) throws -> R {
        var events: UnsafePointer<lp_event>? = nil
        var count = 0
        var arena: UnsafePointer<UInt8>? = nil
        let rc = lp_json_flatten(parser, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, &events, &count, &arena)
        if rc != 0 { throw ParseError(description: String(cString: lp_json_error_message(rc))) }
        return try body(UnsafeBufferPointer(start: events, count: count), arena)
    }

    /// Convenience: the events as Swift values (copies; for small documents like action lines).
    public func events(_ bytes: UnsafeRawBufferPointer) throws -> [(kind: FlatEvent.Kind, path: String, string: String, int: Int64, double: Double)] {
        try flatten(bytes) { evs, arena in
            evs.map { e in
                let path = String(decoding: UnsafeBufferPointer(start: arena! + Int(e.path_off), count: Int(e.path_len)), as: UTF8.self)
                let s = e.kind == FlatEvent.Kind.string.rawValue
                    ? String(decoding: UnsafeBufferPointer(start: arena! + Int(e.str_off), count: Int(e.str_len)), as: UTF8.self) : ""
                return (FlatEvent.Kind(rawValue: e.kind)!, path, s, e.i, e.d)
            }
        }
    }
}

extension lp_event {
    @inline(__always) func path(_ arena: UnsafePointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: arena + Int(path_off), count: Int(path_len))
    }
    @inline(__always) func string(_ arena: UnsafePointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: arena + Int(str_off), count: Int(str_len))
    }
}
