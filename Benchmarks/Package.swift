// swift-tools-version:6.0
import PackageDescription

// The benchmarks, beside the product so that its test run does not build them (nor Hummingbird, which only
// the front-door comparison uses): `swift run -c release --package-path Benchmarks IntakeBenchmark`.
let package = Package(
    name: "HooklineBenchmarks",
    dependencies: [
        .package(name: "Hookline", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(name: "LuaRuntimeBenchmark", dependencies: [.product(name: "HooklineModules", package: "Hookline")],
                          path: "LuaRuntimeBenchmark"),

        // Intake's modules alone, so that a change to the checks rebuilds only them (not the server, Lua, the console).
        .executableTarget(name: "IntakeBenchmark", dependencies: [.product(name: "HooklineIntake", package: "Hookline")],
                          path: "IntakeBenchmark"),

        // The front door alone: Hummingbird beside a bare NIO HTTP/1 handler, reading the body (and checking it).
        .executableTarget(name: "FrontDoorBenchmark", dependencies: [
            .product(name: "HooklineModules", package: "Hookline"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "FrontDoorBenchmark"),

        .executableTarget(name: "HostAPIBenchmark", dependencies: [
            .product(name: "HooklineModules", package: "Hookline"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "HostAPIBenchmark"),

        // The journal's appends and records on SQLite and PostgreSQL (postgres-journal.sh).
        .executableTarget(name: "PostgresJournalBenchmark", dependencies: [
            .product(name: "HooklineModules", package: "Hookline"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ], path: "PostgresJournalBenchmark"),
    ]
)
