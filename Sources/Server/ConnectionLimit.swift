import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the open connections under a limit, on the listening socket: a connection past it is closed as
/// soon as it is accepted, so that idle clients cannot take the descriptors the journal, the scripts folder
/// and the scripts' own HTTP calls need. Refusals are logged at most every 10 seconds, with their count.
final class ConnectionLimit: ChannelInboundHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let open: Quota
    private let logger: Logger
    private var refusals = ThrottledCount()

    init(limit: Int, logger: Logger) {
        open = Quota(limit: limit)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = unwrapInboundIn(data)
        guard open.take() else {
            connection.close(promise: nil)
            if let refused = refusals.due() {
                logger.warning("connections refused: the limit of open connections is reached (see --max-connections)",
                               metadata: ["refused": "\(refused)", "limit": "\(open.limit)"])
            }
            return
        }
        let open = self.open
        connection.closeFuture.whenComplete { _ in open.give() }
        context.fireChannelRead(data)
    }
}

/// What the listening socket does when `accept` fails for want of descriptors (EMFILE, ENFILE) or memory:
/// it stops reading for a pause, then accepts again. NIO keeps such a socket registered for reading after
/// the error (a read is still pending), so without a pause it is reported ready at once, again and again:
/// 32,000 failed `accept` calls in 2 s, a core spinning. (NIO's own `AcceptBackoffHandler` only delays the
/// next read request, which never comes while that read is pending.) Logged at most every 10 seconds.
final class AcceptBackoff: ChannelInboundHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    static let pause = TimeAmount.milliseconds(200)

    private let logger: Logger
    private var failures = ThrottledCount()
    private var paused = false

    init(logger: Logger) {
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode) else {
            return context.fireErrorCaught(error)
        }
        if let count = failures.due() {
            logger.error("cannot accept connections; accepting again in \(Self.pause.nanoseconds / 1_000_000) ms",
                         metadata: ["error": "\(error)", "failures": "\(count)",
                                    "hint": "out of descriptors: lower --max-connections or raise ulimit -n"])
        }
        guard !paused, let options = context.channel.syncOptions else { return }
        paused = true
        try? options.setOption(.autoRead, value: false)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.pause) { [self] in
            paused = false
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }
}

/// Counts what happens often and says when to log it: at the first time, then at most every 10 seconds,
/// with how many times since the last line.
struct ThrottledCount {
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

/// The process's descriptor limit, and the default connection limit it leaves room under.
public enum DescriptorLimit {
    /// The soft `RLIMIT_NOFILE` now.
    public static var soft: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)  // unlimited is the largest value
    }

    /// Connections allowed when `--max-connections` is not set: a quarter of the descriptors (at least 64)
    /// is left for the journal, the scripts folder and the scripts' HTTP calls; at most 10,000.
    public static func defaultMaxConnections(soft: Int = DescriptorLimit.soft) -> Int {
        max(8, min(10_000, soft - max(64, soft / 4)))
    }
}
