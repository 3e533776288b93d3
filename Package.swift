// swift-tools-version:6.0
import PackageDescription

// The indexing hot path does its own bounds checks; dynamic exclusivity checks cost ~5% there
// (measured with perf on the ingest benchmark) and are dropped in release builds only.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// Layering (imports go one way): logpond (CLI) → LogpondHTTP → LogpondQuery → LogpondEngine
// → LogpondAnalysis / C shims; the CLI also uses LogpondTLS (HTTPS) and LogpondForward (the
// Fluent Forward input, beside HTTP over the engine). See docs/ARCHITECTURE.md.
let package = Package(
    name: "logpond",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "logpond", targets: ["logpond"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Already in the graph through hummingbird-auth; the Forward handshake's SHA-512.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // Already in the graph through Hummingbird; every line the server writes goes through it.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Counters and timers in the engine and HTTP layer; Prometheus's text format at
        // /_prometheus/metrics.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CSimdJSON", path: "Sources/CSimdJSON",
                cxxSettings: [.unsafeFlags(["-O3", "-std=c++17"])],
                linkerSettings: [.linkedLibrary("simdjson"), .linkedLibrary("stdc++")]),
        .target(name: "LogpondAnalysis", path: "Sources/LogpondAnalysis", swiftSettings: hotPath),
        .target(name: "LogpondEngine",
                dependencies: ["LogpondAnalysis", "CZstd", "CSQLite", "CZlib", "CSimdJSON",
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "CoreMetrics", package: "swift-metrics")],
                path: "Sources/LogpondEngine", swiftSettings: hotPath),
        .target(name: "LogpondQuery", dependencies: ["LogpondEngine", "LogpondAnalysis"],
                path: "Sources/LogpondQuery"),
        .target(name: "LogpondHTTP",
                dependencies: ["LogpondQuery", "LogpondEngine",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "HummingbirdCore", package: "hummingbird"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "HTTPTypes", package: "swift-http-types"),
                               .product(name: "NIOHTTPTypes", package: "swift-nio-extras"), "CZlib",
                               .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                               .product(name: "CoreMetrics", package: "swift-metrics"),
                               .product(name: "Prometheus", package: "swift-prometheus")],
                path: "Sources/LogpondHTTP",
                // The web page (docs/ui.md): plain files compiled into the binary, no build step.
                resources: [.embedInCode("UI/index.html"), .embedInCode("UI/app.js"), .embedInCode("UI/patterns.js"), .embedInCode("UI/style.css"), .embedInCode("UI/indices.html"), .embedInCode("UI/indices.js")]),
        // The Fluent Forward input (a peer of LogpondHTTP: both write through the engine): the
        // protocol's codec (fuzzed, so without BoringSSL) and the server with its handshake.
        .target(name: "LogpondForward", dependencies: ["LogpondEngine", "CZlib"], path: "Sources/LogpondForward"),
        .target(name: "LogpondForwardServer",
                dependencies: ["LogpondForward", "LogpondEngine",
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "Crypto", package: "swift-crypto")],
                path: "Sources/LogpondForwardServer"),
        // HTTPS (swift-nio-ssl, BoringSSL inside) is its own target so only the CLI links it:
        // the fuzz build, which links LogpondHTTP, stays without BoringSSL.
        .target(name: "LogpondTLS",
                dependencies: [.product(name: "HummingbirdCore", package: "hummingbird"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
                path: "Sources/LogpondTLS"),
        .executableTarget(name: "logpond",
                          dependencies: ["LogpondHTTP", "LogpondEngine", "LogpondTLS", "LogpondForwardServer",
                                         .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                         .product(name: "NIOPosix", package: "swift-nio"),
                                         .product(name: "NIOHTTP1", package: "swift-nio"),
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log"),
                                         .product(name: "Yams", package: "Yams")],
                          path: "Sources/logpond"),
        .executableTarget(name: "logpond-bench", dependencies: ["LogpondEngine", "LogpondAnalysis"],
                          path: "Benchmarks/Codec", swiftSettings: hotPath),
        // Fuzz targets (Tests/Fuzz/README.md): a replay tool in ordinary builds, libFuzzer's
        // entry when built with -sanitize=fuzzer -D LOGPOND_LIBFUZZER (make fuzz).
        .executableTarget(name: "logpond-fuzz", dependencies: ["LogpondHTTP", "LogpondEngine", "LogpondForward"], path: "Tests/Fuzz",
                          exclude: ["corpus", "README.md"]),
        .testTarget(name: "LogpondEngineTests", dependencies: ["LogpondEngine", "LogpondQuery", "LogpondAnalysis", "LogpondForward"],
                    path: "Tests/LogpondEngineTests", resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)
