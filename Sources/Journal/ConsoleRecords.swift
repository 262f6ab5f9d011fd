/// The journal's answers counted for the console's pages.

/// Dead runs of one script with one error (the same message at the same line).
public struct DeadRunGroup: Sendable, Equatable {
    public var script: String
    public var errorLine: Int?
    public var error: String?
    /// Failed events with such a run.
    public var events: Int
    public var latestAt: Int64
    /// The newest of those events.
    public var latestEvent: EventID

    public init(script: String, errorLine: Int?, error: String?, events: Int, latestAt: Int64, latestEvent: EventID) {
        self.script = script
        self.errorLine = errorLine
        self.error = error
        self.events = events
        self.latestAt = latestAt
        self.latestEvent = latestEvent
    }
}

/// Events of one type received in one minute.
public struct EventCount: Sendable, Equatable {
    /// The minute's start, epoch ms.
    public var minute: Int64
    public var type: String
    public var count: Int

    public init(minute: Int64, type: String, count: Int) {
        self.minute = minute
        self.type = type
        self.count = count
    }
}

/// A node of a shared journal as its heartbeats left it.
public struct NodeStatus: Sendable, Equatable {
    public var name: String
    public var incarnation: String
    /// Epoch ms.
    public var startedAt: Int64
    public var heartbeatAt: Int64
    /// When its lease ends without another heartbeat.
    public var expiresAt: Int64
    /// The fingerprint of the scripts it runs, as it last announced them.
    public var scriptsVersion: String?

    public init(name: String, incarnation: String, startedAt: Int64, heartbeatAt: Int64, expiresAt: Int64,
                scriptsVersion: String? = nil) {
        self.name = name
        self.incarnation = incarnation
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.expiresAt = expiresAt
        self.scriptsVersion = scriptsVersion
    }
}
