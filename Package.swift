// swift-tools-version:6.0
import PackageDescription

// Linux only: the journal and the file jail call Glibc directly (O_DIRECT body segments, fdatasync, openat with
// O_DIRECTORY), and nothing guards them for other systems.
let package = Package(
    name: "Hookline",
    products: [
        .executable(name: "hookline", targets: ["hookline"]),
        // The modules, for the packages beside this one (Benchmarks/) that measure them.
        .library(name: "HooklineModules", targets: ["Basics", "JSON", "LuaRuntime", "Journal", "Observability", "Intake", "Server", "HostAPI", "EventDispatch", "HooklineApp", "ScriptTools", "PostgresJournal"]),
        // For the fuzz targets beside this package (FuzzTargets/): the modules each needs alone, so that one
        // builds without the rest; and real Lua as the pattern matcher's oracle.
        .library(name: "HooklineJSON", targets: ["JSON"]),
        .library(name: "HooklineLuaRuntime", targets: ["LuaRuntime", "JSON"]),
        .library(name: "HooklineIntake", targets: ["Intake", "JSON"]),
        .library(name: "HooklineServer", targets: ["Server", "Intake", "Journal", "JSON", "Observability"]),
        .library(name: "PatternOracleKit", targets: ["PatternOracleKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // The web console: routing, cookies, sessions and streaming (Hummingbird), server-rendered pages that
        // escape by default (Mustache).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // Debian's liblua5.4 (pkg-config lua5.4) and the C shim for everything that must raise or yield.
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        .target(name: "LuaShim", dependencies: ["CLua"]),
        // The small rules every module shares, each in one place: the identifier alphabet, epoch milliseconds,
        // Duration conversions, hex, ISO-8601.
        .target(name: "Basics"),
        // Strict JSON: one parser (a flat tape) for intake validation and for decoding onto the Lua stack.
        .target(name: "JSON"),
        .target(name: "LuaRuntime", dependencies: ["CLua", "LuaShim", "JSON", "Basics"]),

        // The journal: events, runs and the scripts' store, in SQLite (GRDB) behind a protocol.
        .target(name: "Journal", dependencies: ["JSON", "Basics", .product(name: "GRDB", package: "GRDB.swift")]),
        // The journal for several nodes on one PostgreSQL database (postgres-nio), passing the same conformance suite.
        .target(name: "PostgresJournal", dependencies: [
            "Journal", "JSON", "Basics", .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Observability", dependencies: [.product(name: "Prometheus", package: "swift-prometheus")]),
        // Intake: strict parsing, identification, warnings, redaction, journaling of each delivery.
        .target(name: "Intake", dependencies: [
            "JSON", "Basics", "Journal", "Observability", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The HTTP front door (SwiftNIO's HTTP/1 pipeline): endpoints, authentication, limits, /healthz, /metrics.
        .target(name: "Server", dependencies: [
            "Intake", "Journal", "JSON", "Basics", "Observability",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The host functions scripts call (http, file, alert, store, log, env, time, crypto, base64), each
        // doing its side effects through one `Effects` implementation: live, dry run or test mocks.
        .target(name: "HostAPI", dependencies: [
            "LuaRuntime", "JSON", "Basics", "Journal", "Observability",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Dispatch: journaled events through the scripts of their type, in order per call and script, on a
        // pool of Lua states, with retries, dead letters, crash recovery and hot reload.
        .target(name: "EventDispatch", dependencies: [
            "LuaRuntime", "HostAPI", "Journal", "JSON", "Basics", "Observability",
            .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Assembly: settings (flags, environment, config file), logs, and the service group that starts and
        // stops the journal, the dispatcher and the server together.
        .target(name: "HooklineApp", dependencies: [
            "EventDispatch", "PostgresJournal", "HostAPI", "Intake", "Journal", "LuaRuntime", "Observability", "Server", "JSON", "Basics",
            "Console",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // The web console (/console on its own port): login, sessions, CSRF, and the pages on events, calls,
        // failures, scripts and the overview, rendered on the server with Mustache.
        .target(name: "Console", dependencies: [
            "Journal", "JSON", "Basics", "EventDispatch", "Observability", "LuaRuntime",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Scripts outside the server: recorded or mocked effects, the script test harness, run traces.
        .target(name: "ScriptTools", dependencies: ["EventDispatch", "HostAPI", "JSON", "Basics", "LuaRuntime"]),
        // The command line: a thin shell over the modules above.
        .executableTarget(name: "hookline", dependencies: [
            "HooklineApp", "EventDispatch", "Journal", "JSON", "LuaRuntime", "HostAPI", "ScriptTools", "Intake", "Observability",
            "PostgresJournal", "Basics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // What the test suites share: fixtures, scratch folders, `eventually`, servers and receivers that stop
        // before a test ends (`withServer`, `withReceiver`), and the `hookline` binary as a process.
        .target(name: "TestSupport", dependencies: [
            "HooklineApp", "Basics", "Intake", "Journal", "JSON",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "Tests/TestSupport"),
        // Real Lua as the oracle of the pattern matcher: the case generator and the two runners, for the
        // test suite and for long runs of the PatternOracle tool (`--cases N --seed S`, `--bench`).
        .target(name: "PatternOracleKit", dependencies: ["CLua", "LuaShim"], path: "Tests/PatternOracleKit"),
        .executableTarget(name: "PatternOracle", dependencies: ["PatternOracleKit"], path: "Tests/PatternOracle"),
        .testTarget(name: "BasicsTests", dependencies: ["Basics"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"]),
        // The journal's conformance suite, run against each backend, and the SQLite journal's own tests.
        .testTarget(name: "JournalTests", dependencies: [
            "Journal", "PostgresJournal", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // Intake's checks on bodies alone: the contract's fixtures, hostile bodies, redaction, rewriting.
        .testTarget(name: "IntakeTests", dependencies: ["Intake", "JSON", "TestSupport"]),
        // The HTTP handling of one connection on NIO's testing channel, without a socket.
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "Intake", "Journal", "JSON", "Observability", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The host functions' parts without Lua or a server: the file jail, alert folding.
        .testTarget(name: "HostAPITests", dependencies: [
            "HostAPI", "Basics", "Journal", "TestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
        // Dispatch's plain values: the per-key scheduler, the work feed's call book, the retry policy.
        .testTarget(name: "EventDispatchTests", dependencies: ["EventDispatch", "Journal", "JSON"]),
        .testTarget(name: "LuaRuntimeTests", dependencies: ["LuaRuntime", "JSON", "TestSupport", "PatternOracleKit"]),
        // End to end: the real server on a loopback port, real HTTP, real journal, real Lua.
        .testTarget(name: "HooklineTests", dependencies: [
            "HooklineApp", "Basics", "EventDispatch", "HostAPI", "Intake", "Journal", "JSON", "LuaRuntime", "Server", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ]
)
