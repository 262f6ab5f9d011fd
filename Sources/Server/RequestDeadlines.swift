import NIOCore

/// Deadlines for a request's bytes, whatever pace they come at: the head must be complete within
/// `headTimeout` of its first byte, and the body must arrive at `minimumRate` bytes a second on average,
/// after a first `headTimeout` (a 4 MiB body at 1 KiB/s may take 10 s + 68 minutes). The idle timeout alone
/// restarts on every byte: one header byte a second kept a connection open past 72 s.
///
/// It sits before the HTTP decoder, where it sees raw bytes; `HTTPConnection` tells it where the request
/// stands with outbound user events, and is told when a deadline passes:
///
/// ```swift
/// context.triggerUserOutboundEvent(RequestDeadlines.Progress.headReceived, promise: nil)
/// // later, in userInboundEventTriggered: `event as? RequestDeadlines.Expired`
/// ```
final class RequestDeadlines: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Where the request stands, from `HTTPConnection`.
    enum Progress {
        /// The head is complete: the body's rate is watched from now on.
        case headReceived
        /// The whole request arrived: this server works on the answer, no deadline runs.
        case requestReceived
        /// The answer is written: the next request's first byte starts its head deadline.
        case answered
    }

    /// A deadline passed, for the head or for the body.
    enum Expired {
        case head, body
    }

    private enum Phase {
        case waiting
        case head
        case body(started: NIODeadline, received: Int)
        case answering
    }

    private let headTimeout: TimeAmount
    private let minimumRate: Int
    private var phase = Phase.waiting
    private var timer: Scheduled<Void>?

    init(headTimeout: TimeAmount, minimumRate: Int) {
        self.headTimeout = headTimeout
        self.minimumRate = max(1, minimumRate)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .waiting:
            phase = .head
            schedule(at: .now() + headTimeout, context: context)
        case .body(let started, let received):
            phase = .body(started: started, received: received + unwrapInboundIn(data).readableBytes)
        case .head, .answering:
            break
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let progress = event as? Progress else {
            return context.triggerUserOutboundEvent(event, promise: promise)
        }
        timer?.cancel()
        timer = nil
        switch progress {
        case .headReceived:
            let started = NIODeadline.now()
            phase = .body(started: started, received: 0)
            schedule(at: started + headTimeout, context: context)
        case .requestReceived:
            phase = .answering
        case .answered:
            phase = .waiting
        }
        promise?.succeed(())
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            switch phase {
            case .head:
                context.fireUserInboundEventTriggered(Expired.head)
            case .body(let started, let received):
                // the deadline moves with every byte received: a second more for each `minimumRate` bytes
                let due = started + headTimeout + .nanoseconds(Int64(received) * 1_000_000_000 / Int64(minimumRate))
                if due <= .now() {
                    context.fireUserInboundEventTriggered(Expired.body)
                } else {
                    schedule(at: due, context: context)
                }
            case .waiting, .answering:
                break
            }
        }
    }
}
