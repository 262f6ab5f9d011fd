import Basics
import HostAPI
import Journal
import Logging
import Observability

/// The real side effects as the settings describe them: HTTP clients, the output folder, alert channels
/// and the journal's store. Shared by `hookline serve` and `hookline run --live`.
package struct LiveServices: Sendable {
    package let effects: LiveEffects
    let clients: HTTPClients
    let alerter: Alerter

    package init(settings: Settings, journal: any Journal, logger: Logger, telemetry: Telemetry,
                clock: any WallClock = SystemClock()) throws {
        clients = HTTPClients()
        let minimum = ["slack": settings.alertSlackMin, "webhook": settings.alertWebhookMin, "pagerduty": settings.alertPagerDutyMin]
        alerter = Alerter(channels: AlertChannels(slack: settings.alertSlack, webhook: settings.alertWebhook,
                                                  pagerDutyRoutingKey: settings.alertPagerDuty,
                                                  pagerDutyURL: settings.alertPagerDutyURL, minimum: minimum),
                          client: clients.direct, logger: logger, telemetry: telemetry,
                          folding: JournalAlertFolding(store: journal, window: settings.alertWindow, logger: logger))
        effects = LiveEffects(settings: LiveSettings(httpAllow: settings.httpAllow, httpMaxResponse: settings.httpMaxResponse,
                                                     allowedEnvironment: Set(settings.allowEnv)),
                              clients: clients, files: try FileJail(root: settings.outFolder, sharedWithOtherProcesses: settings.database != nil), alerter: alerter,
                              journal: journal, logger: logger, clock: clock)
    }

    /// Lets alert deliveries in flight finish (for a few seconds), then closes the HTTP clients.
    package func close() async {
        await alerter.drain()
        await clients.shutdown()
    }
}
