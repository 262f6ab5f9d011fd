/// Where the console listens and what it needs to show scripts' sources.
package struct ConsoleConfiguration: Sendable {
    /// Address to listen on (loopback unless the operator opens it, or puts a proxy in front).
    package var host: String
    /// Port to listen on; 0 takes a free one.
    package var port: Int
    /// The token that logs in.
    package var token: String
    /// How long a session lasts without a new login.
    package var sessionLifetime: Duration
    /// How often live views are sent a heartbeat (a comment line) so that proxies keep the stream open.
    package var heartbeat: Duration
    /// How often the journal is asked for new events while a live view is open (one question for all of them).
    package var livePollInterval: Duration

    package init(host: String = "127.0.0.1", port: Int, token: String, sessionLifetime: Duration = .seconds(12 * 3600),
                heartbeat: Duration = .seconds(15), livePollInterval: Duration = .milliseconds(250)) {
        self.host = host
        self.port = port
        self.token = token
        self.sessionLifetime = sessionLifetime
        self.heartbeat = heartbeat
        self.livePollInterval = livePollInterval
    }
}
