import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads translog generations back on startup. A torn or corrupt tail is detected by length
/// and checksum, reported, and cut off so it is never misread.
public enum TranslogReader {
    public struct Report: Sendable {
        public var generations: [Int64] = []
        public var ops = 0
        public var truncated: [String] = []
        /// Intact operations the index refused on replay (the store logs the first few).
        public var skipped = 0
    }

    /// Calls `body` for every intact operation in generation order, returning what was seen.
    public static func replay(dir: String, _ body: (TranslogOp) throws -> Void) throws -> Report {
        var report = Report()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let gens = names.compactMap { FileNames.translogGeneration(of: $0) }.sorted()
        for g in gens {
            report.generations.append(g)
            let path = dir + "/" + FileNames.translog(generation: g)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            var goodEnd = 0
            try bytes.withUnsafeBytes { buf in
                var r = ByteReader(buf)
                guard buf.count >= Translog.headerSize, (try? r.u32()) == Translog.magic, (try? r.u16()) == Translog.version else {
                    report.truncated.append("\(path): bad header, file ignored")
                    return
                }
                _ = try? r.u16()
                let hg = (try? r.u64()) ?? 0
                let hcrc = (try? r.u32()) ?? 0
                guard Int64(hg) == g, hcrc == Checksum.crc32(UnsafeRawBufferPointer(rebasing: buf[0..<16])) else {
                    report.truncated.append("\(path): bad header checksum, file ignored"); return
                }
                goodEnd = Translog.headerSize
                while r.remaining > 0 {
                    guard r.remaining >= 8, let len = try? r.u32(), let crc = try? r.u32(), Int(len) <= Limits.maxTranslogRecordBytes,
                          Int(len) <= r.remaining, let payload = try? r.raw(Int(len)), Checksum.crc32(payload) == crc,
                          let op = try? TranslogOp.decode(payload) else {
                        report.truncated.append("\(path): torn or corrupt record at byte \(goodEnd) dropped (\(buf.count - goodEnd) bytes)")
                        break
                    }
                    try body(op)
                    report.ops += 1
                    goodEnd = r.pos
                }
            }
            if goodEnd < bytes.count && goodEnd >= Translog.headerSize { truncate(path, off_t(goodEnd)) }
        }
        return report
    }

    /// The highest generation present, 0 when none.
    public static func lastGeneration(dir: String) -> Int64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { FileNames.translogGeneration(of: $0) }.max() ?? 0
    }
}
