import Foundation
import HostAPI
import Logging
import Server
import Server

/// Every setting of `hookline serve`, each declared once: its name, how its text is read, its default,
/// its help and whether it is secret. The flags, the environment variables, the config-file keys, the
/// help and the README's Configuration table all come from this list, in this order.
///
/// Adding a setting is one declaration here; read it where it is used as `settings.<property>`:
///
///     package let headTimeout = Setting("head-timeout", .duration, default: .seconds(10),
///                                       help: "Close a connection whose request head takes longer than this.")
///
/// then `HOOKLINE_WRITE_README=1 swift test --filter SettingsTests` writes its row into the README's table
/// (without it, that test fails while the table and this list differ).
public struct SettingDeclarations: Sendable {
    package let host = Setting("host", .text("address"), default: "127.0.0.1",
                               help: "Address to listen on; 0.0.0.0 accepts connections from other machines.")
    package let port = Setting("port", .number(0...65535, "port", what: "a port number"), default: 8080,
                               help: "Port to listen on; 0 takes a free one.")
    package let scripts = Setting("scripts", .text("folder"), default: "./scripts",
                                  help: "Folder of Lua scripts, watched for changes.")
    package let data = Setting("data", .text("folder"), default: "./data",
                               help: "Folder of the journal, the event bodies and the generated secret.")
    package let out = Setting("out", .optionalText("folder"), default: nil, shown: "<data>/out",
                              help: "Folder that scripts' file.write, file.append and file.read use.")
    package let database = Setting("database", .optionalText("url"), default: nil, shown: "SQLite in the data folder", secret: true,
                                   help: "PostgreSQL to keep events, runs and the store in, shared by every node: postgres://user@host:5432/db?sslmode=verify-full. The password comes from --database-password-file or HOOKLINE_DATABASE_PASSWORD, rather than the URL.")
    package let databasePasswordFile = Setting("database-password-file", .optionalText("file"), default: nil,
                                               help: "File whose first line is the database password.")
    package let databaseCA = Setting("database-ca", .optionalText("file"), default: nil,
                                     help: "Certificate authorities (PEM) the database's certificate must be signed by (as sslrootcert in the URL).")
    package let databaseSignals = Setting("database-signals", .boolean, default: true,
                                          help: "Learn of work for this node's calls by LISTEN/NOTIFY on one connection; false polls instead (needed behind PgBouncer in transaction mode, which breaks LISTEN).")
    package let nodeName = Setting("node-name", .optionalText("name"), default: nil, shown: "the host name",
                                   help: "This node's name in logs, metrics and the journal's leases.")
    package let lease = Setting("lease", .duration, default: .seconds(15),
                                help: "How long a node's calls stay its own without a renewal (renewed every third of it); a node that dies hands its work over after this. Longer than --script-timeout plus a second.")
    package let pollInterval = Setting("poll-interval", .duration, default: .seconds(1),
                                       help: "How often the journal is asked for waiting work (calls nobody holds, a dead node's calls, replays).")
    package let secret = Setting("secret", .optionalText("secret"), default: nil, shown: "generated", secret: true,
                                 help: "Secret that deliveries carry in x-interactly-secret. Without one, a secret is generated once and kept in the data folder.")
    package let open = Setting("open", .boolean, default: false,
                               help: "Accept deliveries without any secret. Only for trusted networks; logged as a warning.")
    package let dedup = Setting("dedup", .boolean, default: true,
                                help: "Answer a delivery whose event is already journaled as a duplicate, without running scripts again.")
    package let maxBody = Setting("max-body", .bytes, default: 4 << 20,
                                  help: "Largest body accepted; larger ones get 413.")
    package let idleTimeout = Setting("idle-timeout", .duration, default: .seconds(60),
                                      help: "Close a connection that sends nothing for this long, between requests or within one.")
    package let maxConnections = Setting("max-connections", .number(1...Int.max, "count", what: "a number of connections"),
                                         default: DescriptorLimit.defaultMaxConnections(),
                                         shown: "the descriptor limit less a quarter (at least 64), at most 10000",
                                         help: "Connections open at once; at the limit no more are accepted until one closes (they wait in the kernel's queue). The limit and the descriptor limit it was derived from are logged at start.")
    package let maxInflightBytes = Setting("max-inflight-bytes", .bytes, default: 64 << 20,
                                           help: "Body bytes all connections may hold at once; a body that finds no room gets 503 overloaded with Retry-After: 1.")
    package let headTimeout = Setting("head-timeout", .duration, default: .seconds(10),
                                      help: "A request head must be complete within this long of its first byte (the connection is closed otherwise); a body gets this long before --min-body-rate applies.")
    package let minBodyRate = Setting("min-body-rate", .bytes, default: 1024,
                                      help: "Bytes a second a body must arrive at on average, after the first --head-timeout; a slower one gets 408 request_timeout.")
    package let retention = Setting("retention", .duration, default: .seconds(30 * 86400),
                                    help: "Prune finished events (with their runs and bodies) received longer ago than this, checked hourly; 0 keeps everything.")
    package let scriptTimeout = Setting("script-timeout", .duration, default: .seconds(5),
                                        help: "Wall-clock limit of one script run, host calls included.")
    package let scriptMemory = Setting("script-memory", .bytes, default: 64 << 20,
                                       help: "Memory limit of each Lua state.")
    package let retries = Setting("retries", .number(0...Int.max, "count", what: "a number of retries"), default: 5,
                                  help: "Retries of a failed run before it is marked dead.")
    package let retryBackoff = Setting("retry-backoff", .duration, default: .seconds(1),
                                       help: "Delay before the first retry; it doubles for each further one, up to 5 minutes.")
    package let timersPerCall = Setting("timers-per-call", .number(1...1_000_000, "count", what: "a number of timers"), default: 100,
                                        help: "Pending timers one call may have; a timer.set beyond it fails the run with an error naming this limit.")
    package let timerMaxDelay = Setting("timer-max-delay", .duration, default: .seconds(7 * 86400),
                                        help: "Longest delay timer.set takes.")
    package let workers = Setting("workers", .number(1...Int.max, "count", what: "a number of Lua states"),
                                  default: ProcessInfo.processInfo.activeProcessorCount, shown: "the number of cores",
                                  help: "Lua states per scripts folder.")
    package let runsPerWorker = Setting("runs-per-worker", .number(1...Int.max, "count", what: "a number of runs"), default: 32,
                                        help: "Runs in flight at once on each Lua state; they take turns while waiting for I/O.")
    package let dispatchWindow = Setting("dispatch-window", .number(1...Int.max, "count", what: "a number of events"), default: 1024,
                                         help: "Events held in memory for dispatch at once; the rest wait in the journal.")
    package let reloadInterval = Setting("reload-interval", .duration, default: .seconds(1),
                                         help: "How often the scripts folders are checked for changes; 0 turns hot reload off.")
    package let httpAllow = Setting("http-allow", .list("host"), default: [], shown: "any host",
                                    help: "Hosts scripts may call with http.*, such as api.example.com or *.example.com; repeatable or comma-separated.")
    package let httpMaxResponse = Setting("http-max-response", .bytes, default: 4 << 20,
                                          help: "Largest HTTP response a script receives.")
    package let httpIdempotencyHeader = Setting("http-idempotency-header", .text("name"), default: "Idempotency-Key",
                                                help: "Header every HTTP request of a script carries, <event id>-<script>-<call index>: the same on a retry, so that a receiver can drop a request it already had; off sends none.")
    package let allowEnv = Setting("allow-env", .list("name"), default: [],
                                   help: "Environment variables scripts may read with env(name); repeatable or comma-separated.")
    package let alertSlack = Setting("alert-slack", .optionalText("url"), default: nil, secret: true,
                                     help: "Slack-compatible incoming webhook URL for alert{}.")
    package let alertWebhook = Setting("alert-webhook", .optionalText("url"), default: nil, secret: true,
                                       help: "Generic JSON webhook URL for alert{}.")
    package let alertPagerDuty = Setting("alert-pagerduty", .optionalText("key"), default: nil, secret: true,
                                         help: "PagerDuty Events v2 routing key for alert{}.")
    package let alertPagerDutyURL = Setting("alert-pagerduty-url", .text("url"), default: "https://events.pagerduty.com",
                                            help: "PagerDuty Events API base URL.")
    package let alertWindow = Setting("alert-window", .duration, default: .seconds(600),
                                      help: "Alerts with the same key within this window are folded into one.")
    package let alertSlackMin = Setting("alert-slack-min", .choice, default: Alert.Severity.info,
                                        help: "Least severe alert sent to Slack.")
    package let alertWebhookMin = Setting("alert-webhook-min", .choice, default: Alert.Severity.info,
                                          help: "Least severe alert sent to the webhook.")
    package let alertPagerDutyMin = Setting("alert-pagerduty-min", .choice, default: Alert.Severity.info,
                                            help: "Least severe alert sent to PagerDuty; critical pages only for those.")
    package let logFormat = Setting("log-format", .choice, default: Settings.LogFormat.text,
                                    help: "Log lines as text, or as json (one object per line) for collectors.")
    package let logLevel = Setting("log-level", .choice, default: Logger.Level.info,
                                   help: "Least important log level shown.")
    package let noConsole = Setting("no-console", .boolean, default: false,
                                    help: "Serve no web console.")
    package let consoleHost = Setting("console-host", .text("address"), default: "127.0.0.1",
                                      help: "Address the web console listens on; keep it on loopback and put a proxy with TLS in front to reach it from elsewhere.")
    package let consolePort = Setting("console-port", .optionalNumber(0...65535, "port", what: "a port number"), default: nil,
                                      shown: "--port + 1 (a free one when --port is 0)",
                                      help: "Port of the web console (its pages are under /console).")
    package let consoleToken = Setting("console-token", .optionalText("token"), default: nil, shown: "generated", secret: true,
                                       help: "Token that logs in to the web console. Without one, a token is generated once and kept (owner-only) in the data folder as console-token.")

    /// The declarations, for reading settings by path (`settings.port`).
    package static let declared = SettingDeclarations()

    /// Every setting, in the order declared.
    package static let all: [any AnySetting] = Mirror(reflecting: declared).children.compactMap { $0.value as? any AnySetting }

    /// Every setting by name.
    package static let byName: [String: any AnySetting] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
}
