// swift-tools-version:6.0
import PackageDescription

// The fuzz targets (libFuzzer), beside the product so that its test run never builds them. Each is an
// executable whose entry is libFuzzer's: build and run them with tools/fuzz.sh, which passes
// `--sanitize=fuzzer --sanitize=address` (SwiftPM then compiles the targets as libraries and links libFuzzer's
// main, and instruments the C code, Lua's pattern matcher of ours included).
let package = Package(
    name: "HooklineFuzz",
    dependencies: [
        .package(name: "Hookline", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // What every target shares: the seed corpus written from the fixtures, failure reports.
        .target(name: "FuzzSupport", path: "Support"),
        .executableTarget(name: "FuzzJSON", dependencies: [
            "FuzzSupport", .product(name: "HooklineJSON", package: "Hookline"),
        ], path: "Targets/json"),
        .executableTarget(name: "FuzzIntake", dependencies: [
            "FuzzSupport", .product(name: "HooklineIntake", package: "Hookline"),
        ], path: "Targets/intake"),
        .executableTarget(name: "FuzzLuaJSON", dependencies: [
            "FuzzSupport", .product(name: "HooklineLuaRuntime", package: "Hookline"),
        ], path: "Targets/lua-json"),
        .executableTarget(name: "FuzzPattern", dependencies: [
            "FuzzSupport", .product(name: "PatternOracleKit", package: "Hookline"),
        ], path: "Targets/pattern"),
        .executableTarget(name: "FuzzHTTP", dependencies: [
            "FuzzSupport", .product(name: "HooklineServer", package: "Hookline"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Targets/http"),
        .executableTarget(name: "FuzzConfig", dependencies: [
            "FuzzSupport", .product(name: "HooklineModules", package: "Hookline"),
        ], path: "Targets/config"),
    ]
)
