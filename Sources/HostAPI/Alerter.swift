import AsyncHTTPClient
import Foundation
import JSON
import Logging
import NIOCore
import NIOHTTP1
import Observability
import Synchronization

/// Where alerts go besides the log.
public struct AlertChannels: Sendable {
    /// Slack-compatible incoming webhook URL.
    public var slack: String?
    /// Generic JSON webhook URL.
    package var webhook: String?
    /// PagerDuty Events v2 routing key, and the API base (tests point it at a local receiver).
    package var pagerDutyRoutingKey: String?
    package var pagerDutyURL: String
    /// The least severe alert each channel receives (the log receives all).
    package var minimum: [String: Alert.Severity]

    public init(slack: String? = nil, webhook: String? = nil, pagerDutyRoutingKey: String? = nil,
                pagerDutyURL: String = "https://events.pagerduty.com", minimum: [String: Alert.Severity] = [:]) {
        self.slack = slack
        self.webhook = webhook
        self.pagerDutyRoutingKey = pagerDutyRoutingKey
        self.pagerDutyURL = pagerDutyURL
        self.minimum = minimum
    }

    func receives(_ channel: String, _ severity: Alert.Severity) -> Bool {
        severity >= (minimum[channel] ?? .info)
    }
}

/// De-duplicates alerts by key within a window, and delivers each to every configured channel in the
/// background with retries. A failing channel is logged and counted; it never fails a script.
public final class Alerter: Sendable {
    private let folding: any AlertFolding
    private let channels: AlertChannels
    private let client: HTTPClient
    private let logger: Logger
    private let telemetry: Telemetry
    private let retryDelays: [Duration]
    private let deliveries = Mutex<[Int: Task<Void, Never>]>([:])  // in flight, for `drain()`
    private let nextDelivery = Atomic<Int>(0)

    public init(channels: AlertChannels, client: HTTPClient, logger: Logger, telemetry: Telemetry,
                folding: any AlertFolding = MemoryAlertFolding(window: .seconds(600)),
                retryDelays: [Duration] = [.seconds(1), .seconds(5), .seconds(30)]) {
        self.channels = channels
        self.client = client
        self.logger = logger
        self.telemetry = telemetry
        self.folding = folding
        self.retryDelays = retryDelays
    }

    /// Folds the alert into an earlier one with the same key within the window (returns false), or
    /// delivers it, noting how many were folded since the last delivery (returns true).
    package func raise(_ alert: Alert, context: ScriptContext) async -> Bool {
        var alert = alert
        if let key = alert.key {
            guard let folded = await folding.admit(key: key, now: context.effects.now()) else {
                logger.info("alert folded into an earlier one with the same key", metadata: [
                    "key": "\(key)", "event_id": "\(context.eventID)", "script": "\(context.script)",
                ])
                return false
            }
            alert.folded = folded
        }
        var metadata: Logger.Metadata = [
            "severity": "\(alert.severity.rawValue)", "title": "\(alert.title)", "event_id": "\(context.eventID)",
            "script": "\(context.script)", "endpoint": "\(context.endpoint)",
        ]
        if let key = alert.key { metadata["key"] = "\(key)" }
        if alert.folded > 0 { metadata["folded"] = "\(alert.folded)" }
        for (name, value) in alert.fields { metadata["field.\(name)"] = "\(value)" }
        logger.log(level: alert.severity == .critical ? .critical : alert.severity == .warning ? .warning : .notice,
                   "ALERT: \(alert.title)", metadata: metadata)
        telemetry.alertDelivery(channel: "log", outcome: "delivered")
        for (channel, request) in requests(for: alert, context: context) { deliver(request, channel: channel) }
        return true
    }

    /// Waits for deliveries in flight (at shutdown), at most `timeout`; then gives up on the rest, saying so.
    public func drain(timeout: Duration = .seconds(5)) async {
        let deadline = ContinuousClock.now + timeout
        while !deliveries.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let abandoned = deliveries.withLock { deliveries in
            defer { deliveries.removeAll() }
            return Array(deliveries.values)
        }
        if !abandoned.isEmpty {
            logger.error("stopping with alert deliveries still failing; they are abandoned", metadata: ["count": "\(abandoned.count)"])
            for task in abandoned { task.cancel() }
        }
    }

    // MARK: channel formats

    private func requests(for alert: Alert, context: ScriptContext) -> [(String, (url: String, body: [UInt8]))] {
        var out: [(String, (url: String, body: [UInt8]))] = []
        let folded = alert.folded > 0 ? " (+\(alert.folded) similar since the last alert)" : ""
        let fields = alert.fields.sorted { $0.key < $1.key }
        if let slack = channels.slack, channels.receives("slack", alert.severity) {
            let emoji = alert.severity == .critical ? ":rotating_light:" : alert.severity == .warning ? ":warning:" : ":information_source:"
            var text = "\(emoji) *\(alert.title)*\(folded)"
            if !alert.text.isEmpty { text += "\n\(alert.text)" }
            for (name, value) in fields { text += "\n• *\(name)*: \(value)" }
            out.append(("slack", (slack, json(["text": .string(text)]))))
        }
        if let webhook = channels.webhook, channels.receives("webhook", alert.severity) {
            out.append(("webhook", (webhook, json([
                "title": .string(alert.title), "text": .string(alert.text), "severity": .string(alert.severity.rawValue),
                "key": alert.key.map { .string($0) } ?? .null, "folded": .integer(Int64(alert.folded)),
                "fields": .object(fields.map { ($0.key, .string($0.value)) }),
                "event_id": .string(context.eventID), "endpoint": .string(context.endpoint), "script": .string(context.script),
                "call_id": .string(context.callID),
            ]))))
        }
        if let routingKey = channels.pagerDutyRoutingKey, channels.receives("pagerduty", alert.severity) {
            let severity = alert.severity == .critical ? "critical" : alert.severity == .warning ? "warning" : "info"
            var payload: [(String, JSONOut)] = [
                ("summary", .string(alert.title + folded)), ("source", .string("hookline/\(context.endpoint)")),
                ("severity", .string(severity)),
                ("custom_details", .object([("text", .string(alert.text)), ("event_id", .string(context.eventID)),
                                            ("script", .string(context.script))] + fields.map { ($0.key, .string($0.value)) })),
            ]
            payload.sort { $0.0 < $1.0 }
            var body: [(String, JSONOut)] = [("routing_key", .string(routingKey)), ("event_action", .string("trigger")),
                                            ("payload", .object(payload))]
            if let key = alert.key { body.append(("dedup_key", .string(key))) }
            let base = channels.pagerDutyURL.hasSuffix("/") ? String(channels.pagerDutyURL.dropLast()) : channels.pagerDutyURL
            out.append(("pagerduty", (base + "/v2/enqueue", json(Dictionary(uniqueKeysWithValues: body)))))
        }
        return out
    }

    private func deliver(_ request: (url: String, body: [UInt8]), channel: String) {
        let id = nextDelivery.add(1, ordering: .relaxed).newValue
        // the lock is held while the task is registered, so its own removal cannot come first
        deliveries.withLock { deliveries in
            deliveries[id] = Task { [client, logger, telemetry, retryDelays] in
            defer { self.deliveries.withLock { _ = $0.removeValue(forKey: id) } }
            var attempt = 0
            while true {
                var problem: String
                do {
                    var http = HTTPClientRequest(url: request.url)
                    http.method = .POST
                    http.headers.add(name: "Content-Type", value: "application/json")
                    http.headers.add(name: "User-Agent", value: "Hookline")
                    http.body = .bytes(ByteBuffer(bytes: request.body))
                    let response = try await client.execute(http, timeout: .seconds(10))
                    _ = try? await response.body.collect(upTo: 64 << 10)
                    if (200..<300).contains(response.status.code) {
                        telemetry.alertDelivery(channel: channel, outcome: "delivered")
                        return
                    }
                    problem = "HTTP \(response.status.code)"
                } catch {
                    problem = "\(error)"
                }
                telemetry.alertDelivery(channel: channel, outcome: "failed")
                guard attempt < retryDelays.count else {
                    logger.error("alert could not be delivered; giving up", metadata: [
                        "channel": "\(channel)", "problem": "\(problem)", "attempts": "\(attempt + 1)",
                    ])
                    return
                }
                logger.warning("alert delivery failed; retrying", metadata: [
                    "channel": "\(channel)", "problem": "\(problem)", "retry_in": "\(retryDelays[attempt])",
                ])
                do {
                    try await Task.sleep(for: retryDelays[attempt])
                } catch {
                    return  // abandoned at shutdown
                }
                attempt += 1
            }
            }
        }
    }
}

/// A JSON value for bodies Hookline writes itself (alerts); keys are written in sorted order.
enum JSONOut {
    case string(String)
    case integer(Int64)
    case null
    case object([(String, JSONOut)])

    func write(to out: inout [UInt8]) {
        switch self {
        case .string(let text): JSONStrings.appendQuoted(text, to: &out)
        case .integer(let value): out.append(contentsOf: String(value).utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONStrings.appendQuoted(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

func json(_ members: [String: JSONOut]) -> [UInt8] {
    var out: [UInt8] = []
    JSONOut.object(members.sorted { $0.key < $1.key }).write(to: &out)
    return out
}
