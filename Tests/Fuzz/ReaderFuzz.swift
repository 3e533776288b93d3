import Foundation
import LogpondEngine

/// Segment readers on mutated bytes: the input is a list of (offset, xor) pairs applied to a
/// valid segment; the file is opened without its checksum so every structure reader sees the
/// damage, and every field's dictionary, postings, columns and stored documents are read.
enum SegmentFuzz {
    static let pristine: [UInt8] = {
        var sources: [[UInt8]] = []
        for n in 0..<300 {
            sources.append(Array(#"{"@timestamp":"2024-01-15T10:00:\#(String(format: "%02d", n % 60))Z","log":"line \#(n) connection refused","pod":"pod-\#(n % 5)","n":\#(n)}"#.utf8))
        }
        guard let b = SegmentBuild.build(sources) else { fatalError("fixture segment did not build") }
        return b
    }()
    static let path = Fixture.dir + "/fuzz-segment.lps"

    static func run(_ input: [UInt8]) {
        var bytes = pristine
        var i = 0
        while i + 4 < input.count {
            let off = (Int(input[i]) << 16 | Int(input[i + 1]) << 8 | Int(input[i + 2])) % bytes.count
            bytes[off] ^= input[i + 3] == 0 ? 1 : input[i + 3]
            i += 4
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        guard let seg = try? Segment.open(id: 1, path: path, verify: false) else { return }
        try? seg.exercise()
    }
}

/// Translog replay on a valid generation header followed by the input as records.
enum TranslogFuzz {
    static let dir = Fixture.dir + "/fuzz-translog"

    static func run(_ input: [UInt8]) {
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/" + FileNames.translog(generation: 1)
        FileManager.default.createFile(atPath: file, contents: Data(Translog.header(generation: 1) + input))
        _ = try? TranslogReader.replay(dir: dir) { _ in }
    }
}
