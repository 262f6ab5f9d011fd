import Hummingbird
import HummingbirdAuth
import NIOCore

/// One request to the console: its session (loaded by `SessionMiddleware`) and the address it came from.
struct ConsoleContext: RequestContext, SessionRequestContext {
    typealias Session = ConsoleSession
    var coreContext: CoreRequestContextStorage
    let sessions: SessionContext<ConsoleSession>
    /// The peer's address (the proxy's, behind one): what login attempts are counted by.
    let peer: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        sessions = .init()
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The session, when the browser has one.
    var session: ConsoleSession? { sessions.session }
}

/// What a browser's session holds: whether it logged in, and the token its forms must send back.
struct ConsoleSession: Codable, Sendable {
    var signedIn: Bool
    var csrf: String

    static func new(signedIn: Bool) -> ConsoleSession {
        ConsoleSession(signedIn: signedIn, csrf: ConsoleToken.randomHex(bytes: 32))
    }
}
