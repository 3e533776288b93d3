import Foundation

/// `logpond check`: an offline read of a data folder that lists what is damaged. Every segment
/// the catalog names is opened with its checksum and read through (`Segment.exercise`), every
/// translog generation is read without cutting anything off. Nothing is written but SQLite's
/// own WAL files.
public enum DataCheck {
    public struct Finding: Sendable { public var what: String; public var damaged: Bool }

    public static func run(dataPath: String, progress: (String) -> Void = { _ in }) throws -> [Finding] {
        var out: [Finding] = []
        let catalogPath = dataPath + "/" + FileNames.catalog
        guard FileManager.default.fileExists(atPath: catalogPath) else {
            throw EngineError.io(path: catalogPath, reason: "no catalog here: is \(dataPath) a logpond data folder?")
        }
        let catalog = try Catalog(path: catalogPath)
        for rec in try catalog.indices() {
            let dir = dataPath + "/" + FileNames.indicesDir + "/" + rec.uuid
            let segs = try catalog.segments(indexUUID: rec.uuid)
            progress("index [\(rec.name)]: \(segs.count) segments")
            var bad = 0
            for s in segs {
                let path = dir + "/" + s.file
                do {
                    let seg = try Segment.open(id: s.id, path: path)
                    try seg.exercise()
                    if seg.docCount != s.docCount {
                        bad += 1
                        out.append(Finding(what: "\(path): holds \(seg.docCount) documents, the catalog says \(s.docCount)", damaged: true))
                    }
                } catch {
                    bad += 1
                    out.append(Finding(what: "index [\(rec.name)] " + ((error as? EngineError)?.description ?? "\(path): \(error)"), damaged: true))
                }
            }
            if bad == 0 { out.append(Finding(what: "index [\(rec.name)]: \(segs.count) segments ok", damaged: false)) }
        }
        let tdir = dataPath + "/" + FileNames.translogDir
        let report = try TranslogReader.replay(dir: tdir, truncate: false) { _ in }
        for d in report.damaged {
            out.append(Finding(what: "translog \(d.path): damaged at byte \(d.offset) (\(d.reason))", damaged: true))
        }
        for t in report.truncated {
            // A torn tail is what a crash leaves; the server drops it on start, so it is not damage.
            out.append(Finding(what: "translog \(t) (a crash's torn tail: the server drops it at start)", damaged: false))
        }
        out.append(Finding(what: "translog: \(report.generations.count) generations, \(report.ops) readable operations", damaged: false))
        return out
    }
}
