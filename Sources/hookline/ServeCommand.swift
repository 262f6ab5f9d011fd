import ArgumentParser
import EventDispatch
import Foundation
import HooklineApp
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the webhook server.",
        usage: "hookline serve [--config <file>] [--<setting> <value> ...]",
        discussion: """
            Every setting below is a flag, an environment variable (HOOKLINE_ and the name in capitals, e.g. \
            HOOKLINE_PORT=9000) or a key of the YAML config file (port: 9000). A flag beats the environment, \
            which beats the file.

            SETTINGS:
            \(SettingsDocumentation.helpText())

            Named endpoints (/webhook/{name}, each with its own secret, headers, event types and scripts folder) \
            are set in the config file:

              endpoints:
                clinic:
                  secret_env: CLINIC_SECRET        # or secret: "..."
                  headers: {Authorization: "Bearer 123"}
                  events: [hang, end-of-call-report]
                  scripts: ./scripts-clinic

            Examples:
              hookline serve
              hookline serve --port 9000 --retention 7d
              hookline serve --alert-slack https://hooks.slack.com/services/T0/B0/XXX
              HOOKLINE_SECRET=s3cret hookline serve --scripts ./my-rules --log-format json
            """
    )

    @Option(help: ArgumentHelp("YAML config file. (HOOKLINE_CONFIG; default ./hookline.yml when it exists)", valueName: "file"))
    var config: String?
    /// Every other argument: `--name value` pairs, read against `SettingDeclarations`.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var settingArguments: [String] = []

    /// Settings that cannot be used are refused here, while parsing, so that the error comes with this
    /// command's usage.
    func validate() throws {
        _ = try resolve()
    }

    func run() async throws {
        let settings = try resolve()
        let logger = Logger(label: "hookline") { label in
            LogOutput(label: label, format: settings.logFormat, level: settings.logLevel)
        }
        let hookline: Hookline
        do {
            hookline = try await Hookline.start(settings, logger: logger, handleSignals: true)
        } catch {
            logger.critical("Hookline could not start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        print(Banner.text(for: hookline))
        fflush(nil)  // every stream: standard output may be a file or a pipe, which would hold the banner until exit
        try await hookline.wait()
    }

    /// The config file's settings, then the environment's, then the flags'.
    private func resolve() throws -> Settings {
        let environment = ProcessInfo.processInfo.environment
        var settings = Settings()
        do {
            let configPath = config ?? environment["HOOKLINE_CONFIG"]
                ?? (FileManager.default.fileExists(atPath: "hookline.yml") ? "hookline.yml" : nil)
            if let configPath { try settings.applyConfigFile(configPath, environment: environment) }
            try settings.applyEnvironment(environment)
            try settings.applyArguments(settingArguments)
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
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
        lines.append(ConsoleBanner.line(for: hookline))
        if settings.database != nil {
            lines.append("  journal      PostgreSQL, shared by every node; this node is \(hookline.node.name) (lease \(settings.lease))")
            lines.append("  files        script files in \(settings.outFolder) (every node must write to the same folder)")
        } else {
            lines.append("  data         \(settings.data) (journal.sqlite), script files in \(settings.outFolder)")
        }
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
