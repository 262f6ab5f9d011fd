import Foundation
import JSON
import Testing
import TestSupport

/// The `hookline` binary where the system says no (issue 12): out of file descriptors, out of disk, its
/// standard output a file. Each server runs as its own process so that its limits are its own.
@Suite(.serialized) struct HostileProcessTests {
    /// One `hookline serve` in `scratch`, started through `prefix` (prlimit, unshare), its log and standard
    /// output in files of the scratch folder.
    final class Served: Sendable {
        let hookline: HooklineProcess
        let scratch: Scratch

        init(_ scratch: Scratch, prefix: [String] = [], data: String? = nil, arguments: [String] = []) async throws {
            self.scratch = scratch
            hookline = HooklineProcess(["--secret", TestServer.secret, "--scripts", scratch.path + "/scripts",
                                        "--data", data ?? scratch.path + "/data"] + arguments,
                                       prefix: prefix, log: scratch.path + "/log.txt", standardOutput: scratch.path + "/stdout.txt")
            try await hookline.startAndWait()
        }

        var port: Int { hookline.port }
        var processIdentifier: Int32 { hookline.processIdentifier ?? 0 }
        var log: String { scratch.read("log.txt") ?? "" }
        var stdout: String { scratch.read("stdout.txt") ?? "" }

        /// CPU seconds the process used so far (user and system).
        var cpuSeconds: Double {
            guard let stat = try? String(contentsOfFile: "/proc/\(processIdentifier)/stat", encoding: .utf8),
                  let fields = stat.split(separator: ")").last?.split(separator: " ") else { return 0 }
            return Double((Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }

        func deliver(_ call: String, on connection: RawHTTP.Connection) async throws -> (status: Int, id: String?, code: String?) {
            let body = event("fixtures/hang.json", callID: call)
            let head = "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "x-interactly-secret: \(TestServer.secret)\r\nContent-Length: \(body.count)\r\n\r\n"
            let answer = try await connection.exchange(Array(head.utf8) + body)
            let json = (try? JSONParser.parse(answer.body))?.root
            return (answer.status, json?["id"]?.string, json?["error", "code"]?.string)
        }

        func health(on connection: RawHTTP.Connection) async throws -> Int {
            try await connection.exchange(Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8), timeout: 2).status
        }

        func stop() async {
            await hookline.stop()
        }
    }

    /// Connections a client opens and leaves idle; nil for one the system would not complete within a second.
    static func idleConnection(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Under `prlimit --nofile=256:256`, 300 idle connections: accepting stops at the limit derived from the
    /// descriptor limit (logged; connections past it wait in the kernel's queue), and the process never runs
    /// out: deliveries and `/healthz` on connections opened before answer, the scripts stay loaded, and every
    /// event acknowledged meanwhile runs once the flood ends. A `--max-connections` above what the descriptors
    /// allow is lowered to it, with a warning: a process that ran out was stopped by libdispatch now and then
    /// (SIGILL in its thread pool's monitor, which opens `/proc/self/task/…/stat`; seen in 1 of 6 runs).
    @Test(arguments: [true, false]) func aDescriptorFloodNeverSkipsARun(limitAboveDescriptors: Bool) async throws {
        let scratch = Scratch()
        scratch.write("scripts/any.lua", #"file.append("seen.txt", ctx.event_id .. "\n")"#)
        let served = try await Served(scratch, prefix: ["prlimit", "--nofile=256:256"],
                                arguments: ["--retries", "30", "--retry-backoff", "100ms"]
                                    + (limitAboveDescriptors ? ["--max-connections", "1000"] : []))
        try await withResource(served, stop: { await $0.stop() }) { served in
            let delivery = try RawHTTP.Connection(port: served.port)
            let health = try RawHTTP.Connection(port: served.port)
            var acknowledged = [try #require(try await served.deliver("CAwarm", on: delivery).id)]

            let flood = (0..<300).compactMap { _ in Self.idleConnection(served.port) }
            defer { for fd in flood { close(fd) } }
            try await pause(milliseconds: 2500)  // longer than the scripts folder's reload interval
            let cpuBefore = served.cpuSeconds
            let started = Date()
            for i in 0..<5 {
                do {
                    let answer = try await served.deliver("CAflood\(i)", on: delivery)
                    #expect(answer.status == 200, "delivery \(i) during the flood")
                    if let id = answer.id { acknowledged.append(id) }
                } catch {
                    Issue.record("delivery \(i) during the flood: \(error); the server's log: \(served.log.suffix(4000))")
                    return
                }
            }
            let healthStarted = Date()
            #expect(try await served.health(on: health) == 200)
            #expect(Date().timeIntervalSince(healthStarted) < 1, "/healthz answered within its budget")
            try await pause(milliseconds: 1500)
            let cpu = (served.cpuSeconds - cpuBefore) / Date().timeIntervalSince(started)
            #expect(cpu < 0.3, "the process used \(Int(cpu * 100))% of a core while the flood held")
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(served.processIdentifier)/fd"))?.count
            #expect(descriptors.map { $0 < 240 } ?? false, "the process holds \(String(describing: descriptors)) descriptors")
            #expect(served.log.contains("accepting at most 192 connections"), "\(served.log.prefix(2000))")
            if limitAboveDescriptors {
                #expect(served.log.contains("--max-connections 1000 is more than the descriptor limit allows"), "\(served.log.prefix(2000))")
            }
            for fd in flood { shutdown(fd, Int32(SHUT_RDWR)) }

            var missing = Set(acknowledged)
            try? await eventually("every acknowledged event is processed", interval: .milliseconds(100)) {
                missing.subtract((scratch.read("data/out/seen.txt") ?? "").split(separator: "\n").map(String.init))
                return missing.isEmpty
            }
            #expect(missing.isEmpty, "acknowledged during the flood but never processed: \(missing.sorted()); \(served.log.suffix(4000))")
            let log = served.log
            #expect(!log.contains("removed any.lua"), "\(log.suffix(3000))")
            #expect(log.contains("connections at the limit"), "\(log.suffix(3000))")
            #expect(!log.contains("cannot accept connections"), "the process never ran out: \(log.suffix(3000))")
        }
    }

    /// The data folder on a full file system (a 3 MiB tmpfs of the server's own, in a mount namespace):
    /// deliveries get 503 and so does `/healthz`; once space is freed both recover.
    @Test func aFullDiskIsReportedByHealth() async throws {
        let scratch = Scratch()
        let data = scratch.path + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let namespace = ["unshare", "--mount"] + (geteuid() == 0 ? [] : ["--map-root-user"])
        let mount = ["sh", "-c", #"mount -t tmpfs -o size=3m tmpfs "$1" && shift && exec "$@""#, "sh", data]
        let served = try await Served(scratch, prefix: namespace + mount, data: data)
        try await withResource(served, stop: { await $0.stop() }) { served in
            // the server's view of the folder is its own mount: ballast there fills its file system
            let ballast = "/proc/\(served.processIdentifier)/root\(data)/ballast"
            guard FileManager.default.createFile(atPath: ballast, contents: Data(count: 1_500_000)) else {
                throw TestFailure("cannot write \(ballast)")
            }
            let connection = try RawHTTP.Connection(port: served.port)
            var accepted = 0
            var refusal: (status: Int, id: String?, code: String?)?
            for i in 0..<200 where refusal == nil {
                let answer = try await served.deliver("CAfull\(i)", on: connection)
                if answer.status == 200 { accepted += 1 } else { refusal = answer }
            }
            #expect(accepted > 0)
            #expect(refusal?.status == 503)
            #expect(refusal?.code == "journal_unavailable")
            #expect(try await served.health(on: connection) == 503, "/healthz tells the truth about the full disk")
            try await pause(milliseconds: 1200)
            #expect(try await served.health(on: connection) == 503, "and still does a second later, after a probe")
            try FileManager.default.removeItem(atPath: ballast)
            try await eventually("/healthz recovers once there is room", timeout: .seconds(4), interval: .milliseconds(100)) {
                try await served.health(on: connection) == 200
            }
            #expect(try await served.deliver("CAroom", on: connection).status == 200)
        }
    }

    /// The start-up banner reaches standard output while the server runs, also when it is a file.
    @Test func theBannerIsWrittenWhenStandardOutputIsAFile() async throws {
        let scratch = Scratch()
        let served = try await Served(scratch)
        try await withResource(served, stop: { await $0.stop() }) { served in
            #expect(served.stdout.contains("Hookline is listening on http://127.0.0.1:\(served.port)"), "stdout: \(served.stdout)")
        }
    }
}

/// Waits without holding a thread of the cooperative pool (two on this machine: other suites run on them).
func pause(milliseconds: Int) async throws {
    try await Task.sleep(for: .milliseconds(milliseconds))
}
