import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately slow, low-level HTTP client: sends a request head and then the body in chunks, watching
/// for the server's answer between chunks, to tell how much of a body the server read before answering.
enum RawHTTP {
    struct Result {
        let status: Int
        let bytesSent: Int
    }

    static func send(port: Int, head: String, chunks total: Int, chunkSize: Int, chunked: Bool = false) throws -> Result {
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

    static func send(port: Int, head: String, file: String) throws -> Result {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw TestFailure("cannot read \(file)") }
        defer { try? handle.close() }
        return try exchange(port: port, head: head) {
            let data = handle.readData(ofLength: 64 << 10)
            return data.isEmpty ? nil : [UInt8](data)
        }
    }

    /// Connects, sends `bytes` and then nothing more; returns how long the server took to close the
    /// connection, or nil if it was still open after `limit`.
    static func secondsUntilClosed(port: Int, sending bytes: String, limit: TimeInterval) throws -> TimeInterval? {
        try watch(port: port, sending: bytes, limit: limit) { _, closed, elapsed in closed ? elapsed : nil }
    }

    /// Sends `head` and nothing more; returns the status of the first answer within `limit`, or nil.
    static func firstStatus(port: Int, head: String, limit: TimeInterval) throws -> Int? {
        try watch(port: port, sending: head, limit: limit) { received, _, _ in statusCode(received) }
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

    private static func connect(port: Int) throws -> Int32 {
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

    private static func statusCode(_ bytes: [UInt8]) -> Int? {
        let text = String(decoding: bytes.prefix(64), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 "), text.count >= 12 else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }
}
