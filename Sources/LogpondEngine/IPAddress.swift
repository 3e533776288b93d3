import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `ip` field values. Terms are the 16-byte IPv6 form (IPv4 mapped) in hex, so the term
/// dictionary's order is address order and a CIDR block is one dictionary range.
public enum IPAddress {
    public static func bytes(_ s: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 {
            let b = withUnsafeBytes(of: v4) { Array($0) }
            return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + b
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
        return nil
    }

    public static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    /// The indexed term for an address string, or nil when it is not an IP address.
    public static func term(_ s: String) -> String? { bytes(s).map(hex) }

    /// The first and last terms of a CIDR block (`10.0.0.0/8`, `2001:db8::/32`).
    public static func cidrRange(_ s: String) -> (String, String)? {
        let parts = s.split(separator: "/")
        guard parts.count == 2, var b = bytes(String(parts[0])), var bits = Int(parts[1]) else { return nil }
        if !parts[0].contains(":") { bits += 96 }
        guard bits >= 0 && bits <= 128 else { return nil }
        var hi = b
        for i in 0..<16 {
            let keep = max(0, min(8, bits - i * 8))
            let mask: UInt8 = keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
            b[i] &= mask
            hi[i] = b[i] | ~mask
        }
        return (hex(b), hex(hi))
    }

    /// The printable address of a term (for doc values in responses).
    public static func format(term: String) -> String {
        var b: [UInt8] = []
        var it = term.utf8.makeIterator()
        while let h = it.next(), let l = it.next() {
            b.append(UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) ?? 0)
        }
        guard b.count == 16 else { return term }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return b[12...].map { String($0) }.joined(separator: ".") }
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: b) }
        var buf = [CChar](repeating: 0, count: 64)
        inet_ntop(AF_INET6, &addr, &buf, 64)
        return String(cString: buf)
    }
}
