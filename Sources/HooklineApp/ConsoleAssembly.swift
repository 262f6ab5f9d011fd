import Console
import EventDispatch
import Journal
import Logging
import Observability

/// The web console as the settings describe it: on unless `--no-console`, at `--console-port` (the webhook's
/// port + 1 by default; a free one when that is 0), logging in with `--console-token` or the token kept in the
/// data folder.
enum ConsoleAssembly {
    static func make(_ settings: Settings, journal: any Journal, node: NodeIdentity, dispatcher: Dispatcher, telemetry: Telemetry,
                     logger: Logger,
                     onListening: @escaping @Sendable (Int?) -> Void) throws -> Console? {
        guard !settings.noConsole else { return nil }
        let port = settings.consolePort ?? (settings.port == 0 ? 0 : settings.port + 1)
        let token = try ConsoleToken.resolve(configured: settings.consoleToken, dataFolder: settings.data) { path in
            logger.notice("generated a console token and stored it (owner-only) in the data folder; log in with it at /console",
                          metadata: ["file": "\(path)"])
        }
        let tokenFile = settings.consoleToken == nil ? settings.data + "/" + ConsoleToken.fileName : "the --console-token setting"
        return try Console(configuration: ConsoleConfiguration(host: settings.consoleHost, port: port, token: token),
                           tokenFile: tokenFile,
                           sources: ConsoleSources(journal: journal, scriptSets: { dispatcher.scriptSets }, telemetry: telemetry,
                                                   node: node.incarnation),
                           logger: logger, onListening: onListening)
    }
}
