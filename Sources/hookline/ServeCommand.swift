import ArgumentParser
import EventDispatch
import Foundation
import HooklineApp
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the webhook server.",
        discussion: """
            Every setting can also be an environment variable (HOOKLINE_ and the option in capitals, e.g. \
            HOOKLINE_PORT=9000) or a key of the YAML config file (port: 9000). A flag beats the environment, which \
            beats the file. Named endpoints (/webhook/{name}, each with its own secret, headers, event types and \
            scripts folder) are set in the config file:

              endpoints:
                clinic:
                  secret_env: CLINIC_SECRET        # or secret: "..."
                  headers: {Authorization: "Bearer 123"}
                  events: [hang, end-of-call-report]
                  scripts: ./scripts-clinic

            Examples:
              hookline serve
              hookline serve --port 9000 --alert-slack https://hooks.slack.com/services/T0/B0/XXX
              HOOKLINE_SECRET=s3cret hookline serve --scripts ./my-rules --log-format json
            """
    )

    @Option(help: "Address to listen on. (HOOKLINE_HOST, default 127.0.0.1; use 0.0.0.0 to accept from other machines)")
    var host: String?
    @Option(help: "Port to listen on. (HOOKLINE_PORT, default 8080)")
    var port: String?
    @Option(help: "Folder of Lua scripts, watched for changes. (HOOKLINE_SCRIPTS, default ./scripts)")
    var scripts: String?
    @Option(help: "Folder for the journal and the generated secret. (HOOKLINE_DATA, default ./data)")
    var data: String?
    @Option(help: "Folder that scripts' file.write/append/read use. (HOOKLINE_OUT, default <data>/out)")
    var out: String?
    @Option(help: "Secret that deliveries carry in x-interactly-secret. (HOOKLINE_SECRET; default: generated once and kept in <data>/secret)")
    var secret: String?
    @Flag(help: "Accept deliveries without any secret. Only for trusted networks; logged as a warning. (HOOKLINE_OPEN)")
    var open = false
    @Option(help: "Answer a delivery whose event is already journaled as a duplicate, without running scripts again: true or false. (HOOKLINE_DEDUP, default true)")
    var dedup: String?
    @Option(help: "Largest body accepted, e.g. 4MiB. Larger ones get 413. (HOOKLINE_MAX_BODY, default 4MiB)")
    var maxBody: String?
    @Option(help: "Close a connection that sends nothing for this long, between requests or within one, e.g. 60s. (HOOKLINE_IDLE_TIMEOUT, default 60s)")
    var idleTimeout: String?
    @Option(help: "Prune finished events (their runs and bodies) received longer ago than this, e.g. 30d; 0 keeps everything. Checked hourly. (HOOKLINE_RETENTION, default 30d)")
    var retention: String?
    @Option(help: "Wall-clock limit of one script run, host calls included, e.g. 5s. (HOOKLINE_SCRIPT_TIMEOUT, default 5s)")
    var scriptTimeout: String?
    @Option(help: "Memory limit of each Lua state, e.g. 64MiB. (HOOKLINE_SCRIPT_MEMORY, default 64MiB)")
    var scriptMemory: String?
    @Option(help: "Retries of a failed run before it is marked dead. (HOOKLINE_RETRIES, default 5)")
    var retries: String?
    @Option(help: "Delay before the first retry; doubles for each next one. (HOOKLINE_RETRY_BACKOFF, default 1s)")
    var retryBackoff: String?
    @Option(help: "Lua states per scripts folder. (HOOKLINE_WORKERS, default: the number of cores)")
    var workers: String?
    @Option(help: "Hosts scripts may call with http.*, e.g. api.example.com or *.example.com; repeatable or comma-separated. (HOOKLINE_HTTP_ALLOW, default: any)")
    var httpAllow: [String] = []
    @Option(help: "Largest HTTP response a script receives. (HOOKLINE_HTTP_MAX_RESPONSE, default 4MiB)")
    var httpMaxResponse: String?
    @Option(help: "Environment variable scripts may read with env(name); repeatable. (HOOKLINE_ALLOW_ENV)")
    var allowEnv: [String] = []
    @Option(help: "Slack-compatible incoming webhook URL for alert{}. (HOOKLINE_ALERT_SLACK)")
    var alertSlack: String?
    @Option(help: "Generic JSON webhook URL for alert{}. (HOOKLINE_ALERT_WEBHOOK)")
    var alertWebhook: String?
    @Option(help: "PagerDuty Events v2 routing key for alert{}. (HOOKLINE_ALERT_PAGERDUTY)")
    var alertPagerduty: String?
    @Option(help: "PagerDuty Events API base URL. (HOOKLINE_ALERT_PAGERDUTY_URL, default https://events.pagerduty.com)")
    var alertPagerdutyUrl: String?
    @Option(help: "Alerts with the same key within this window are folded into one. (HOOKLINE_ALERT_WINDOW, default 10m)")
    var alertWindow: String?
    @Option(help: "Least severe alert sent to Slack: info, warning or critical. (HOOKLINE_ALERT_SLACK_MIN, default info)")
    var alertSlackMin: String?
    @Option(help: "Least severe alert sent to the webhook. (HOOKLINE_ALERT_WEBHOOK_MIN, default info)")
    var alertWebhookMin: String?
    @Option(help: "Least severe alert sent to PagerDuty, e.g. critical to page only for those. (HOOKLINE_ALERT_PAGERDUTY_MIN, default info)")
    var alertPagerdutyMin: String?
    @Option(help: "Log lines as text or json. (HOOKLINE_LOG_FORMAT, default text)")
    var logFormat: String?
    @Option(help: "Least important log level shown: debug, info, notice, warning, error. (HOOKLINE_LOG_LEVEL, default info)")
    var logLevel: String?
    @Option(help: "YAML config file. (HOOKLINE_CONFIG; default ./hookline.yml when it exists)")
    var config: String?

    func run() async throws {
        let settings: Settings
        do {
            settings = try resolve(environment: ProcessInfo.processInfo.environment)
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
        let logger = Logger(label: "hookline") { label in
            LogOutput(label: label, format: settings.logFormat, level: Logger.Level(rawValue: settings.logLevel) ?? .info)
        }
        let hookline: Hookline
        do {
            hookline = try await Hookline.start(settings, logger: logger, handleSignals: true)
        } catch {
            logger.critical("Hookline could not start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        print(Banner.text(for: hookline))
        try await hookline.wait()
    }

    private func resolve(environment: [String: String]) throws -> Settings {
        var settings = Settings()
        let configPath = config ?? environment["HOOKLINE_CONFIG"]
            ?? (FileManager.default.fileExists(atPath: "hookline.yml") ? "hookline.yml" : nil)
        if let configPath { try settings.applyConfigFile(configPath, environment: environment) }
        try settings.applyEnvironment(environment)
        let flags: [(String, String?)] = [
            ("host", host), ("port", port), ("scripts", scripts), ("data", data), ("out", out), ("secret", secret),
            ("open", open ? "true" : nil), ("dedup", dedup), ("max-body", maxBody), ("idle-timeout", idleTimeout), ("retention", retention), ("script-timeout", scriptTimeout),
            ("script-memory", scriptMemory), ("retries", retries), ("retry-backoff", retryBackoff), ("workers", workers),
            ("http-max-response", httpMaxResponse), ("alert-slack", alertSlack), ("alert-webhook", alertWebhook),
            ("alert-pagerduty", alertPagerduty), ("alert-pagerduty-url", alertPagerdutyUrl), ("alert-window", alertWindow),
            ("alert-slack-min", alertSlackMin), ("alert-webhook-min", alertWebhookMin), ("alert-pagerduty-min", alertPagerdutyMin),
            ("log-format", logFormat), ("log-level", logLevel),
        ]
        for case let (key, value?) in flags { try settings.apply(key, value, from: "--\(key)") }
        for value in httpAllow { try settings.apply("http-allow", value, from: "--http-allow") }
        for value in allowEnv { try settings.apply("allow-env", value, from: "--allow-env") }
        return settings
    }
}

/// What `hookline serve` prints once it listens: where, with which scripts, and how to point Interactly at it.
enum Banner {
    static func text(for hookline: Hookline) -> String {
        let settings = hookline.settings
        let base = "http://\(settings.host == "0.0.0.0" ? "<this-host>" : settings.host):\(hookline.port)"
        var lines = ["Hookline is listening on \(base)", ""]
        lines.append("  endpoints    POST \(base)/webhook")
        for endpoint in settings.endpoints {
            lines.append("               POST \(base)/webhook/\(endpoint.name)\(endpoint.events.map { " (events: \($0.sorted().joined(separator: ", ")))" } ?? "")")
        }
        lines.append("  health       GET  \(base)/healthz    metrics  GET \(base)/metrics")
        lines.append("  data         \(settings.data) (journal.sqlite), script files in \(settings.outFolder)")
        for set in hookline.dispatcher.scriptSets {
            lines.append("  scripts      \(set.folder)\(set.scripts.isEmpty ? " (none yet: add hang.lua, any.lua, ...)" : "")")
            for (type, paths) in set.byType { lines.append("                 \(type): \(paths.joined(separator: ", "))") }
            for error in set.errors { lines.append("                 ERROR \(error.description)") }
        }
        lines.append("")
        if hookline.secret == nil {
            lines.append("  WARNING: running open (--open): no secret is required.")
        } else if settings.secret == nil {
            lines.append("  secret       generated and kept in \((settings.data as NSString).appendingPathComponent("secret")) (owner-only)")
        } else {
            lines.append("  secret       from your settings")
        }
        lines.append("")
        lines.append("  Point Interactly at it (assistant > Advanced > Server Configuration, or the assistantServer API field):")
        lines.append("    url:     \(base)/webhook   (use a public URL or tunnel in front of this address)")
        if hookline.secret != nil, settings.secret == nil {
            lines.append("    secret:  the contents of \((settings.data as NSString).appendingPathComponent("secret"))   (cat it to copy)")
        } else if hookline.secret != nil {
            lines.append("    secret:  the secret you configured")
        }
        lines.append("    messages: status-update, conversation-update, end-of-call-report, hang, error")
        return lines.joined(separator: "\n")
    }
}
