import Foundation
import HostAPI
import Testing
import TestSupport

/// Script file access confined to one folder, without a server or Lua.
@Suite struct FileJailTests {
    @Test func writesReadsAndAppendsStayInTheRoot() throws {
        let scratch = Scratch()
        let jail = try FileJail(root: scratch.path + "/out")
        try jail.write("calls/CA1.json", Array("{}".utf8))
        try jail.append("log.txt", Array("one\n".utf8))
        try jail.append("log.txt", Array("two\n".utf8))
        #expect(try jail.read("calls/CA1.json") == Array("{}".utf8))
        #expect(scratch.read("out/log.txt") == "one\ntwo\n")
        #expect(try jail.read("absent.txt") == nil)
    }

    @Test func pathsOutsideTheRootAreRefused() throws {
        let scratch = Scratch()
        let jail = try FileJail(root: scratch.path + "/out")
        for path in ["/etc/passwd", "../escape.txt", "calls/../../escape.txt", ""] {
            #expect(throws: (any Error).self, "\(path)") { try jail.write(path, Array("x".utf8)) }
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/escape.txt"))
    }

    @Test func symbolicLinksAreNeverFollowed() throws {
        let scratch = Scratch()
        let jail = try FileJail(root: scratch.path + "/out")
        try FileManager.default.createDirectory(atPath: scratch.path + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/out/link", withDestinationPath: scratch.path + "/elsewhere")
        #expect(throws: (any Error).self) { try jail.write("link/file.txt", Array("x".utf8)) }
        #expect(throws: (any Error).self) { try jail.append("link/file.txt", Array("x".utf8)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/elsewhere").isEmpty)
    }

    @Test func whatItCreatesIsTheOwnersAlone() throws {
        let scratch = Scratch()
        let jail = try FileJail(root: scratch.path + "/data/out")
        try jail.write("calls/CA1.json", Array("{}".utf8))
        try jail.append("calls/CA1.txt", Array("line\n".utf8))
        func permissions(_ relative: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: scratch.path + "/" + relative)[.posixPermissions] as? Int
        }
        #expect(try permissions("data") == 0o700, "the data folder the default --out makes (no SQLite journal with --database)")
        #expect(try permissions("data/out") == 0o700)
        #expect(try permissions("data/out/calls/CA1.txt") == 0o600)
        #expect(try permissions("data/out/calls") == 0o700)
        #expect(try permissions("data/out/calls/CA1.json") == 0o600)
    }

    /// Appends of several nodes to one file in a shared `--out`: each holds the file's `flock` while it writes,
    /// so another process's lock (here the test's) holds it back instead of letting it write inside a line.
    @Test func appendsOfSeveralNodesWaitForTheFilesLock() throws {
        let scratch = Scratch()
        let jail = try FileJail(root: scratch.path, sharedWithOtherProcesses: true)
        try jail.append("shared.txt", Array("first\n".utf8))
        let holder = open(scratch.path + "/shared.txt", O_RDONLY)
        #expect(holder >= 0)
        defer { close(holder) }
        #expect(flock(holder, LOCK_EX) == 0)
        let appended = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {  // it blocks on the lock: not on a thread of the cooperative pool
            try? jail.append("shared.txt", Array("second\n".utf8))
            appended.signal()
        }
        #expect(appended.wait(timeout: .now() + 0.3) == .timedOut, "the append waited for the lock")
        #expect(scratch.read("shared.txt") == "first\n")
        #expect(flock(holder, LOCK_UN) == 0)
        #expect(appended.wait(timeout: .now() + 10) == .success)
        #expect(scratch.read("shared.txt") == "first\nsecond\n")
    }

    /// On threads of Dispatch's own: appends block while they wait for each other, which must not hold the
    /// threads of Swift's cooperative pool.
    @Test func concurrentAppendsNeverInterleave() throws {
        let scratch = Scratch()
        let jail = try FileJail(root: scratch.path + "/out")
        let line = Array((String(repeating: "x", count: 100_000) + "\n").utf8)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in try? jail.append("shared.txt", line) }
        let lines = (scratch.read("out/shared.txt") ?? "").split(separator: "\n")
        #expect(lines.count == 8)
        #expect(lines.allSatisfy { $0.count == 100_000 })
    }
}
