import Foundation
import Synchronization
import TestSupport

/// A database of its own for one test, on the PostgreSQL server the test command started
/// (`HOOKLINE_TEST_POSTGRES`, an admin URL); dropped at the end. Queries go through `psql`.
final class TestDatabase: Sendable {
    let name: String
    let url: String
    private let admin: String

    init(on server: String? = ProcessInfo.processInfo.environment["HOOKLINE_TEST_POSTGRES"]) throws {
        guard let admin = server, !admin.isEmpty else {
            throw TestFailure("""
                no PostgreSQL for this test: HOOKLINE_TEST_POSTGRES is not set. Run the tests with tools/test.sh, which \
                starts a throwaway server, or set it to an admin URL (postgres://postgres@127.0.0.1:5432/postgres)
                """)
        }
        self.admin = admin
        name = "hookline_test_" + UUID().uuidString.prefix(8).lowercased()
        guard let slash = admin.range(of: "/", options: .backwards), admin[..<slash.lowerBound].contains("@") else {
            throw TestFailure("HOOKLINE_TEST_POSTGRES must be a URL with a database: \(admin)")
        }
        url = admin[..<slash.lowerBound] + "/" + name
        _ = try Self.psql(admin, "CREATE DATABASE \(name)")
    }

    deinit {
        _ = try? Self.psql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// The first column of the first row of a query's result, as text (psql waited for off the cooperative pool).
    func value(_ sql: String) async throws -> String {
        try await offThePool { [url] in try Self.psql(url, sql).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    private static func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("psql failed on \(sql): \(problem)") }
        return text
    }
}

/// One `hookline serve` process: a node of a cluster, with its own port, on the given database; its log in
/// `logs/<name>.log`.
func node(_ name: String, database: String, scripts: String, out: String, logs: String, extra: [String] = []) -> HooklineProcess {
    HooklineProcess(["--database", database, "--secret", TestServer.secret, "--scripts", scripts, "--out", out,
                     "--data", logs + "/" + name, "--node-name", name, "--log-format", "json"] + extra,
                    log: logs + "/" + name + ".log")
}

/// nginx in front of nodes, retrying a request on the next node when one fails (the README's setup).
final class LoadBalancer: Sendable {
    let port: Int
    private let folder: String
    private let process: Process

    init(nodes: [HooklineProcess], folder: String) throws {
        port = freePort()
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder + "/logs", withIntermediateDirectories: true)
        let servers = nodes.map { "        server 127.0.0.1:\($0.port) max_fails=1 fail_timeout=2s;" }.joined(separator: "\n")
        let template = try String(contentsOfFile: HooklineBinary.repository + "/tools/nginx-cluster.conf", encoding: .utf8)
        let configuration = template.replacingOccurrences(of: "@FOLDER@", with: folder)
            .replacingOccurrences(of: "@PORT@", with: "\(port)").replacingOccurrences(of: "@SERVERS@", with: servers)
        try configuration.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        guard let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first(where: FileManager.default.isExecutableFile) else {
            throw TestFailure("nginx is not installed (tools/setup.sh installs it)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-c", folder + "/nginx.conf", "-p", folder]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// nginx without its master process ends its connections gracefully on SIGTERM, which keep-alive
    /// connections can hold up: a test balancer is simply killed.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// A PostgreSQL server of the test's own (tools/postgres.sh), which it may stop and start again.
final class OwnPostgres: Sendable {
    let folder: String
    /// An admin URL (the `postgres` database).
    let url: String

    init() throws {
        let output = try Self.script("start")
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") where line.contains("=") && !line.hasPrefix("export") {
            let parts = line.split(separator: "=", maxSplits: 1)
            values[String(parts[0])] = String(parts[1])
        }
        guard let folder = values["HOOKLINE_TEST_POSTGRES_DIR"], let url = values["HOOKLINE_TEST_POSTGRES"] else {
            throw TestFailure("tools/postgres.sh start printed no server: \(output)")
        }
        self.folder = folder
        self.url = url
    }

    func pause() throws { _ = try Self.script("pause", folder) }
    func resume() throws { _ = try Self.script("resume", folder) }
    deinit { _ = try? Self.script("stop", folder) }

    /// Runs tools/postgres.sh, reaping it with waitpid (Foundation's Process, with the server it forks,
    /// left the script a zombie that `waitUntilExit` waited for forever); its output goes through a file.
    private static func script(_ arguments: String...) throws -> String {
        let outputFile = NSTemporaryDirectory() + "postgres-sh-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputFile) }
        let command = ([HooklineBinary.repository + "/tools/postgres.sh"] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
            + " > '" + outputFile + "' < /dev/null"
        var pid: pid_t = 0
        let words = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else {
            throw TestFailure("cannot start tools/postgres.sh")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw TestFailure("tools/postgres.sh \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }
}
