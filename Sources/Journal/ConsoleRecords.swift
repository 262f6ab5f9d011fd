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
