import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decides when the listening socket accepts, so that clients can never take the descriptors the journal,
/// the scripts folder and the scripts' own HTTP calls need:
/// - at most `limit` connections are open (`--max-connections`): at the limit it stops accepting until one
///   closes, and new connections wait in the kernel's queue (past it, the kernel refuses them). Closing
///   each one past the limit instead took a descriptor per connection until its close ran on another
///   event loop: a burst still ran the process out.
/// - when `accept` fails for want of descriptors (EMFILE, ENFILE) or memory, it pauses for 200 ms. NIO
///   leaves the socket registered with a read pending after such an error, so it was reported ready again
///   at once: 32,000 failed `accept4` calls in 2 s, a core spinning (NIO's `AcceptBackoffHandler` only
///   delays the next read request, which never comes while that read is pending).
/// Both pauses stop reading the listening socket (`autoRead` off). Each is logged at most every 10 s.
final class AcceptGate: ChannelInboundHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    static let backoff = TimeAmount.milliseconds(200)

    private let open: Quota
    private let logger: Logger
    private var atLimit = false
    private var backingOff = false
    private var limitReports = ThrottledCount()
    private var failureReports = ThrottledCount()

    init(limit: Int, logger: Logger) {
        open = Quota(limit: limit)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = unwrapInboundIn(data)
        guard open.take() else {  // accepted in the same read as the last one allowed
            connection.close(promise: nil)
            return
        }
        let (open, gate) = (self.open, NIOLoopBound((self, context), eventLoop: context.eventLoop))
        connection.closeFuture.whenComplete { _ in
            open.give()
            gate.eventLoop.execute { gate.value.0.connectionClosed(context: gate.value.1) }
        }
        if open.inUse >= open.limit {
            atLimit = true
            update(context)
            if let times = limitReports.due() {
                logger.warning("connections at the limit (--max-connections): accepting again once one closes",
                               metadata: ["limit": "\(open.limit)", "times": "\(times)"])
            }
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode) else {
            return context.fireErrorCaught(error)
        }
        if let count = failureReports.due() {
            logger.error("cannot accept connections; accepting again in \(Self.backoff.nanoseconds / 1_000_000) ms",
                         metadata: ["error": "\(error)", "failures": "\(count)",
                                    "hint": "out of descriptors: lower --max-connections or raise ulimit -n"])
        }
        guard !backingOff else { return }
        backingOff = true
        update(context)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.backoff) { [self] in
            backingOff = false
            update(context)
        }
    }

    private func connectionClosed(context: ChannelHandlerContext) {
        guard atLimit, open.inUse < open.limit else { return }
        atLimit = false
        update(context)
    }

    private func update(_ context: ChannelHandlerContext) {
        try? context.channel.syncOptions?.setOption(.autoRead, value: !atLimit && !backingOff)
    }
}

/// Counts what happens often and says when to log it: at the first time, then at most every 10 seconds,
/// with how many times since the last line.
private struct ThrottledCount {
    private var count = 0
    private var lastReport: NIODeadline?

    mutating func due() -> Int? {
        count += 1
        let now = NIODeadline.now()
        guard lastReport.map({ now - $0 >= .seconds(10) }) ?? true else { return nil }
        lastReport = now
        defer { count = 0 }
        return count
    }
}
