// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Hookline",
    platforms: [.macOS(.v14)],
    dependencies: [],
    targets: [
        // Debian's liblua5.4 (pkg-config lua5.4) and the C shim for everything that must raise or yield.
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        .target(name: "LuaShim", dependencies: ["CLua"]),
        // Strict JSON: one parser (a flat tape) for intake validation and for decoding onto the Lua stack.
        .target(name: "JSON"),
        .target(name: "LuaRuntime", dependencies: ["CLua", "LuaShim", "JSON"]),

        .executableTarget(name: "LuaRuntimeBenchmark", dependencies: ["LuaRuntime", "JSON"],
                          path: "Benchmarks/LuaRuntimeBenchmark"),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "LuaRuntimeTests", dependencies: ["LuaRuntime", "JSON"]),
    ]
)
