/// The journal's answers counted for the console's pages.

/// Dead runs of one script with one error (the same message at the same line).
public struct DeadRunGroup: Sendable, Equatable {
    package var script: String
    package var errorLine: Int?
    package var error: String?
    /// Failed events with such a run.
    package var events: Int
    package var latestAt: Int64
    /// The newest of those events.
    package var latestEvent: EventID

    package init(script: String, errorLine: Int?, error: String?, events: Int, latestAt: Int64, latestEvent: EventID) {
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
    package var minute: Int64
    package var type: String
    package var count: Int

    package init(minute: Int64, type: String, count: Int) {
        self.minute = minute
        self.type = type
        self.count = count
    }
}

/// A node of a shared journal as its heartbeats left it.
public struct NodeStatus: Sendable, Equatable {
    package var name: String
    package var incarnation: String
    /// Epoch ms.
    package var startedAt: Int64
    package var heartbeatAt: Int64
    /// When its lease ends without another heartbeat.
    package var expiresAt: Int64
    /// The fingerprint of the scripts it runs, as it last announced them.
    package var scriptsVersion: String?

    package init(name: String, incarnation: String, startedAt: Int64, heartbeatAt: Int64, expiresAt: Int64,
                scriptsVersion: String? = nil) {
        self.name = name
        self.incarnation = incarnation
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.expiresAt = expiresAt
        self.scriptsVersion = scriptsVersion
    }
}
