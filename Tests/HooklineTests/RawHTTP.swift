import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately slow, low-level HTTP client: sends a request head and then the body in chunks, watching
/// for the server's answer between chunks, to tell how much of a body the server read before answering. Its
/// sockets block, so every exchange runs off the cooperative pool (`offThePool`): the server under test may be
/// in this process and need the pool to answer.
enum RawHTTP {
    struct Result {
        let status: Int
        let bytesSent: Int
    }

    static func send(port: Int, head: String, chunks total: Int, chunkSize: Int, chunked: Bool = false) async throws -> Result {
        try await offThePool {
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: chunkSize)
            var remaining = total
            return try exchange(port: port, head: head) {
                guard remaining > 0 else { return nil }
                let size = min(chunkSize, remaining)
                remaining -= size
                if chunked { return Array(String(size, radix: 16).utf8) + [13, 10] + chunk[0..<size] + [13, 10] }
                return Array(chunk[0..<size])
            }
        }
    }

    static func send(port: Int, head: String, file: String) async throws -> Result {
        try await offThePool {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw TestFailure("cannot read \(file)") }
            defer { try? handle.close() }
            return try exchange(port: port, head: head) {
                let data = handle.readData(ofLength: 64 << 10)
                return data.isEmpty ? nil : [UInt8](data)
            }
        }
    }

    /// Connects, sends `bytes` and then nothing more; returns how long the server took to close the
    /// connection, or nil if it was still open after `limit`.
    static func secondsUntilClosed(port: Int, sending bytes: String, limit: TimeInterval) async throws -> TimeInterval? {
        try await offThePool { try watch(port: port, sending: bytes, limit: limit) { _, closed, elapsed in closed ? elapsed : nil } }
    }

    /// Sends `head` and nothing more; returns the status of the first answer within `limit`, or nil.
    static func firstStatus(port: Int, head: String, limit: TimeInterval) async throws -> Int? {
        try await offThePool { try watch(port: port, sending: head, limit: limit) { received, _, _ in statusCode(received) } }
    }

    /// Connects, sends `bytes`, then reads until `settled` makes something of what arrived so far, whether the
    /// server closed the connection and the seconds since sending, or until `limit` passes (nil).
    private static func watch<T>(port: Int, sending bytes: String, limit: TimeInterval,
                                 _ settled: (_ received: [UInt8], _ closed: Bool, _ elapsed: TimeInterval) -> T?) throws -> T? {
        let fd = try connect(port: port)
        defer { close(fd) }
        let started = Date()
        let payload = Array(bytes.utf8)
        guard payload.isEmpty || payload.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == payload.count
        else { throw TestFailure("send() failed") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(started) < limit {
            var fds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&fds, 1, 100) > 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { received += buffer[0..<n] }
            if let result = settled(received, n <= 0, Date().timeIntervalSince(started)) { return result }
            if n <= 0 { return nil }
        }
        return nil
    }

    /// Connects and sends `bytes` one at a time, `every` apart, until the server closes the connection or
    /// they are all sent; returns the seconds until it closed, or nil if it was still open `limit` seconds
    /// after the first byte.
    static func secondsUntilClosed(port: Int, trickling bytes: String, every interval: TimeInterval,
                                   limit: TimeInterval) async throws -> TimeInterval? {
        try await offThePool { try trickle(port: port, bytes, every: interval, limit: limit) }
    }

    private static func trickle(port: Int, _ bytes: String, every interval: TimeInterval, limit: TimeInterval) throws -> TimeInterval? {
        let fd = try connect(port: port)
        defer { close(fd) }
        let started = Date()
        var pending = Array(bytes.utf8)[...]
        var buffer = [UInt8](repeating: 0, count: 4096)
        var nextSend = started
        while Date().timeIntervalSince(started) < limit {
            if let byte = pending.first, Date() >= nextSend {
                guard [byte].withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }) == 1 else {
                    return Date().timeIntervalSince(started)  // the server closed it
                }
                pending = pending.dropFirst()
                nextSend = Date().addingTimeInterval(interval)
            }
            var fds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&fds, 1, 20) > 0 else { continue }
            if read(fd, &buffer, buffer.count) <= 0 { return Date().timeIntervalSince(started) }
        }
        return nil
    }

    /// One keep-alive connection: requests sent on it one after the other, each answer read whole. A test uses
    /// it from one task at a time (its exchanges run on a thread of their own, one after the other).
    final class Connection: @unchecked Sendable {
        private var fd: Int32

        init(port: Int) throws {
            fd = try RawHTTP.connect(port: port)
        }

        deinit { close() }

        func close() {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }

        /// Sends `request` (head and body) and reads one answer: its status, headers (lower-case names) and body.
        func exchange(_ request: [UInt8], timeout: TimeInterval = 10) async throws -> (status: Int, headers: [String: String], body: [UInt8]) {
            try await offThePool { try self.exchangeBlocking(request, timeout: timeout) }
        }

        private func exchangeBlocking(_ request: [UInt8], timeout: TimeInterval) throws -> (status: Int, headers: [String: String], body: [UInt8]) {
            try send(request)
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let answer = RawHTTP.parseAnswer(received) { return answer }
                var fds = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&fds, 1, 50) > 0 else { continue }
                let n = read(fd, &buffer, buffer.count)
                guard n > 0 else { throw TestFailure("the server closed the connection before answering") }
                received += buffer[0..<n]
            }
            throw TestFailure("no answer within \(timeout) s")
        }

        /// Sends bytes without waiting for anything (part of a request, say).
        func send(_ bytes: [UInt8]) throws {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { throw TestFailure("send() failed: the server closed the connection") }
                sent += n
            }
        }
    }

    /// A whole answer with a Content-Length, once `bytes` hold it.
    private static func parseAnswer(_ bytes: [UInt8]) -> (status: Int, headers: [String: String], body: [UInt8])? {
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }),
              let status = statusCode(bytes) else { return nil }
        var headers: [String: String] = [:]
        for line in String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard bytes.count >= end + 4 + length else { return nil }
        return (status, headers, Array(bytes[(end + 4)..<(end + 4 + length)]))
    }

    fileprivate static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("connect() failed")
        }
        return fd
    }

    private static func exchange(port: Int, head: String, next: () -> [UInt8]?) throws -> Result {
        let fd = try connect(port: port)
        defer { close(fd) }
        var sent = 0
        var pending = Array(head.utf8)
        var headSent = false
        var response: [UInt8] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if pending.isEmpty {
                if !headSent { headSent = true }
                if let more = next() { pending = more }
            }
            var fds = pollfd(fd: fd, events: Int16(POLLIN) | (pending.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)
            guard poll(&fds, 1, 1000) >= 0 else { break }
            if fds.revents & Int16(POLLIN) != 0 || fds.revents & Int16(POLLHUP | POLLERR) != 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = read(fd, &buffer, buffer.count)
                if n > 0 {
                    response += buffer[0..<n]
                    if let status = statusCode(response) { return Result(status: status, bytesSent: sent) }
                    continue
                }
                break
            }
            if fds.revents & Int16(POLLOUT) != 0 && !pending.isEmpty {
                let n = pending.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }  // the server stopped reading: its answer should be waiting
                if headSent { sent += n }
                pending.removeFirst(n)
            }
        }
        // read whatever answer arrived
        var buffer = [UInt8](repeating: 0, count: 4096)
        while statusCode(response) == nil {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        guard let status = statusCode(response) else { throw TestFailure("no HTTP answer after sending \(sent) bytes") }
        return Result(status: status, bytesSent: sent)
    }

    fileprivate static func statusCode(_ bytes: [UInt8]) -> Int? {
        let text = String(decoding: bytes.prefix(64), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 "), text.count >= 12 else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }
}
