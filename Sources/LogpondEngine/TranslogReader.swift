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
        /// Records damaged in the middle of a generation: never a torn tail, never cut off.
        public var damaged: [Damage] = []
        /// Indices with intact operations in each generation: a damaged record whose own index
        /// cannot be read belongs to one of these.
        public var indicesByGeneration: [Int64: Set<String>] = [:]
    }

    /// A record that cannot be read although more data follows it.
    public struct Damage: Sendable {
        public var generation: Int64
        public var path: String
        public var offset: Int
        /// The index the record was for, when that much of it still decodes.
        public var indexUUID: String?
        public var reason: String
    }

    /// Calls `body` for every intact operation in generation order, returning what was seen.
    /// Only a torn tail is cut off; damage with records after it is reported in `damaged`.
    public static func replay(dir: String, truncate cutTail: Bool = true, _ body: (TranslogOp) throws -> Void) throws -> Report {
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
                    let start = r.pos
                    // A record cut short by a crash is the last thing written: its length runs
                    // past the end, or its bytes end the file, or only zeros follow it.
                    guard r.remaining >= 8, let len = try? r.u32(), let crc = try? r.u32(), Int(len) <= Limits.maxTranslogRecordBytes,
                          Int(len) <= r.remaining, let payload = try? r.raw(Int(len)) else {
                        report.truncated.append("\(path): torn or corrupt record at byte \(goodEnd) dropped (\(buf.count - goodEnd) bytes)")
                        break
                    }
                    let end = r.pos
                    if Checksum.crc32(payload) != crc {
                        if end == buf.count || buf[end...].allSatisfy({ $0 == 0 }) {
                            report.truncated.append("\(path): torn or corrupt record at byte \(goodEnd) dropped (\(buf.count - goodEnd) bytes)")
                            break
                        }
                        // More data follows: this is damage, not a crash, and nothing is cut off.
                        // When the next record frames and checksums right, the length was sound:
                        // go on from there; otherwise nothing after it can be trusted.
                        let resumes = Self.intactRecord(at: end, in: buf)
                        report.damaged.append(Damage(generation: g, path: path, offset: start, indexUUID: nil,
                                                     reason: "record checksum mismatch" + (resumes ? "" : "; the \(buf.count - end) bytes after it cannot be framed and were not replayed")))
                        goodEnd = buf.count
                        if resumes { continue }
                        break
                    }
                    guard let op = try? TranslogOp.decode(payload) else {
                        // Checksummed, so written whole, yet unreadable: report it and go on
                        // with the next record (its length is known).
                        report.damaged.append(Damage(generation: g, path: path, offset: start, indexUUID: TranslogOp.indexUUID(payload),
                                                     reason: "record does not decode"))
                        goodEnd = end
                        continue
                    }
                    try body(op)
                    report.ops += 1
                    report.indicesByGeneration[g, default: []].insert(op.indexUUID)
                    goodEnd = r.pos
                }
            }
            if cutTail && goodEnd < bytes.count && goodEnd >= Translog.headerSize { truncate(path, off_t(goodEnd)) }
        }
        return report
    }

    /// Whether a whole record with a matching checksum starts at `pos`.
    static func intactRecord(at pos: Int, in buf: UnsafeRawBufferPointer) -> Bool {
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: buf[pos...]))
        guard let len = try? r.u32(), let crc = try? r.u32(), Int(len) <= r.remaining, let p = try? r.raw(Int(len)) else { return false }
        return Checksum.crc32(p) == crc
    }

    /// The highest generation present, 0 when none.
    public static func lastGeneration(dir: String) -> Int64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { FileNames.translogGeneration(of: $0) }.max() ?? 0
    }
}
