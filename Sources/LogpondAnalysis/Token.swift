/// One token produced by an analyzer: its bytes (UTF-8) and its position in the field.
public struct Token: Equatable, Sendable {
    public var term: [UInt8]
    public var position: Int32
    public var startOffset: Int32
    public var endOffset: Int32
    public init(term: [UInt8], position: Int32, startOffset: Int32, endOffset: Int32) {
        self.term = term; self.position = position; self.startOffset = startOffset; self.endOffset = endOffset
    }
    public var text: String { String(decoding: term, as: UTF8.self) }
}

/// Turns text into tokens. Implementations are value types and thread-safe.
public protocol Analyzer: Sendable {
    var name: String { get }
    /// Calls `emit` for every token of `text`, in order.
    func analyze(_ text: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>, Int32, Int32, Int32) -> Void)
}

extension Analyzer {
    /// Convenience for tests and small inputs.
    public func tokens(_ text: String) -> [Token] {
        var out: [Token] = []
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBufferPointer { buf in
            analyze(UnsafeBufferPointer(buf)) { t, pos, s, e in
                out.append(Token(term: Array(t), position: pos, startOffset: s, endOffset: e))
            }
        }
        return out
    }
}
