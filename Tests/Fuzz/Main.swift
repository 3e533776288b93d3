import Foundation

#if LOGPOND_LIBFUZZER
/// libFuzzer's entry: the target comes from LOGPOND_FUZZ_TARGET.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    Harness.run(ProcessInfo.processInfo.environment["LOGPOND_FUZZ_TARGET"] ?? "query", Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
/// Without libFuzzer: `logpond-fuzz TARGET FILE|DIR…` runs each input once (the seed corpus
/// and every past finding, as a regression test in `make test`).
@main
struct Replay {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        guard let target = args.first, Harness.targets.contains(target) else {
            print("usage: logpond-fuzz TARGET FILE|DIR...   (targets: \(Harness.targets.joined(separator: ", ")))")
            exit(2)
        }
        var files: [String] = []
        for a in args.dropFirst() {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: a, isDirectory: &isDir), isDir.boolValue {
                files += ((try? FileManager.default.contentsOfDirectory(atPath: a)) ?? []).sorted().map { a + "/" + $0 }
            } else { files.append(a) }
        }
        for f in files {
            guard let d = FileManager.default.contents(atPath: f) else { continue }
            Harness.run(target, [UInt8](d))
        }
        print("\(target): \(files.count) inputs replayed, no crash")
    }
}
#endif
