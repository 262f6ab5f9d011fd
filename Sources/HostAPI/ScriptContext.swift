import Journal
import Synchronization

/// What a host function knows about the run that called it: the event, the script, and the effects
/// implementation (live, dry-run or test mocks) through which every side effect goes.
public final class ScriptContext: Sendable {
    public let eventID: String
    public let endpoint: String
    public let type: String
    public let callID: String
    public let script: String
    public let attempt: Int
    public let effects: any Effects
    /// The run's claim on its call, which its store writes carry (nil outside the server).
    public let fence: Fence?
    private let calls = Mutex<[String]>([])

    public init(eventID: String, endpoint: String, type: String, callID: String, script: String, attempt: Int,
                effects: any Effects, fence: Fence? = nil) {
        self.eventID = eventID
        self.endpoint = endpoint
        self.type = type
        self.callID = callID
        self.script = script
        self.attempt = attempt
        self.effects = effects
        self.fence = fence
    }

    /// Notes a host call for the run's record ("http.post https://... -> 201").
    public func note(_ line: String) {
        calls.withLock { $0.append(line) }
    }

    /// The host calls noted so far.
    public var hostCalls: [String] { calls.withLock { $0 } }
}
