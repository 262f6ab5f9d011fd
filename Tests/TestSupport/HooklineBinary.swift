import AsyncHTTPClient
import Foundation
import Synchronization

/// The `hookline` binary of this checkout (`swift build` makes it), run as a separate process the way an
/// operator runs it: to completion (`run`), or as a server (`HooklineProcess`).
public enum HooklineBinary {
    /// The checkout's root folder.
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    public static let path = repository + "/.build/debug/hookline"

    public struct Output: Sendable {
        public let status: Int32
        /// Standard output and standard error, interleaved as written.
        public let text: String
    }

    /// Runs `hookline` with `arguments` in `directory` and returns its exit status and output; it waits for the
    /// process off the cooperative pool (the process may be talking to a server of this one).
    public static func run(_ arguments: [String], in directory: String = repository,
                           environment: [String: String] = [:]) async throws -> Output {
        try await offThePool {
            let process = try makeProcess(arguments)
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Output(status: process.terminationStatus, text: String(decoding: data, as: UTF8.self))
        }
    }

    /// A process that runs the binary, started through `prefix` (prlimit, unshare) when given.
    static func makeProcess(_ arguments: [String], prefix: [String] = []) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("build the hookline binary first (swift build): \(path)")
        }
        let process = Process()
        if prefix.isEmpty {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = prefix + [path] + arguments
        }
        return process
    }
}

/// A server started from the built binary (`hookline serve`), listening on a free port chosen here. A test can
/// SIGKILL it, stop it with SIGTERM, and launch it again unchanged; what it prints is appended to the given
/// files across those launches, or dropped when none are given.
public final class HooklineProcess: Sendable {
    public let port: Int
    public let arguments: [String]
    private let prefix: [String]
    private let directory: String?
    private let log: String?
    private let standardOutput: String?
    private let process = Mutex<Process?>(nil)

    /// - Parameters:
    ///   - arguments: `serve`'s options past `--port`.
    ///   - log: the file standard error goes to; also standard output unless `standardOutput` is given.
    public init(_ arguments: [String], port: Int = freePort(), prefix: [String] = [], in directory: String? = nil,
                log: String? = nil, standardOutput: String? = nil) {
        self.port = port
        self.arguments = ["serve", "--port", "\(port)"] + arguments
        self.prefix = prefix
        self.directory = directory
        self.log = log
        self.standardOutput = standardOutput ?? log
    }

    public var base: String { "http://127.0.0.1:\(port)" }
    public var processIdentifier: Int32? { process.withLock { $0?.processIdentifier } }
    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    /// Starts the process (again, after `kill` or `stop`).
    public func start() throws {
        let child = try HooklineBinary.makeProcess(arguments, prefix: prefix)
        if let directory { child.currentDirectoryURL = URL(fileURLWithPath: directory) }
        child.standardError = try Self.appending(to: log)
        child.standardOutput = try Self.appending(to: standardOutput)
        try child.run()
        process.withLock { $0 = child }
    }

    /// Starts the process and waits until `/healthz` answers 200.
    public func startAndWait(timeout: Duration = .seconds(30)) async throws {
        try start()
        try await waitUntilHealthy(timeout: timeout)
    }

    /// Waits until `/healthz` answers 200, failing at once (with its log) when the process exits first.
    public func waitUntilHealthy(timeout: Duration = .seconds(30)) async throws {
        try await eventually("hookline listens on port \(port)", timeout: timeout, interval: .milliseconds(50)) {
            guard isRunning else {
                throw TestFailure("hookline exited before it listened: \(log.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? "")")
            }
            return await healthStatus(of: base) == 200
        }
    }

    /// SIGKILL: no shutdown, no release of what it holds.
    public func kill() async {
        await end(with: SIGKILL)
    }

    /// SIGTERM, and waits for the graceful shutdown to end.
    public func stop() async {
        await end(with: SIGTERM)
    }

    /// Signals the process and waits for it to exit, off the cooperative pool: a graceful shutdown may wait for
    /// a receiver of this process to answer.
    private func end(with signal: Int32) async {
        guard let running = process.withLock({ $0.take() }) else { return }
        if running.isRunning { Foundation.kill(running.processIdentifier, signal) }
        await offThePool { running.waitUntilExit() }
    }

    deinit {
        // not stopped by its test: SIGKILL, whose exit needs nothing of this process
        guard let running = process.withLock({ $0.take() }) else { return }
        if running.isRunning { Foundation.kill(running.processIdentifier, SIGKILL) }
        running.waitUntilExit()
    }

    private static func appending(to file: String?) throws -> FileHandle {
        guard let file else { return FileHandle.nullDevice }
        if !FileManager.default.fileExists(atPath: file) { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        handle.seekToEndOfFile()
        return handle
    }
}

/// `/healthz`'s status at `base`, nil without an answer within a second. Each check on a connection of its own,
/// so that no pooled connection to a killed process delays it.
public func healthStatus(of base: String) async -> Int? {
    var request = HTTPClientRequest(url: base + "/healthz")
    request.headers.add(name: "connection", value: "close")
    return (try? await HTTPClient.shared.execute(request, timeout: .seconds(1))).map { Int($0.status.code) }
}

/// Waits until `/healthz` at `base` answers 200.
public func waitUntilHealthy(_ base: String, timeout: Duration = .seconds(30)) async throws {
    try await eventually("\(base) is healthy", timeout: timeout, interval: .milliseconds(100)) { await healthStatus(of: base) == 200 }
}

/// A loopback port nobody listens on right now.
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
