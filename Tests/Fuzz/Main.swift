import Foundation

#if LOGPOND_LIBFUZZER
/// libFuzzer's driver, linked in by -sanitize=fuzzer (SwiftPM gives executables their own
/// `main`, so libFuzzer's is not used: ours hands the arguments to the driver).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// One input for the target named by LOGPOND_FUZZ_TARGET. Also exported under libFuzzer's own
/// name: a debug link takes libFuzzer's `main`, which calls it directly.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    Harness.run(ProcessInfo.processInfo.environment["LOGPOND_FUZZ_TARGET"] ?? "query", bytes)
    return 0
}
#endif

/// Built with libFuzzer (-D LOGPOND_LIBFUZZER): the fuzzing driver. Otherwise
/// `logpond-fuzz TARGET FILE|DIR…` runs each input once (the seed corpus and every past
/// finding, as a regression test in `make test`).
@main
struct FuzzMain {
    static func main() {
        #if LOGPOND_LIBFUZZER
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
        #else
        replay()
        #endif
    }

    static func replay() {
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
