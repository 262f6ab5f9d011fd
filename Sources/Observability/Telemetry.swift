import Prometheus
import Synchronization

/// Every counter, gauge and histogram Hookline exposes at `/metrics`, named in one place.
/// Each server instance has its own registry, so tests can run several in one process.
public final class Telemetry: Sendable {
    package let registry = PrometheusCollectorRegistry()

    // The registry validates names and help texts on every make call: metrics are looked up here instead,
    // by name and label values, and made once.
    private let counters = MetricCache<Counter>()
    private let gauges = MetricCache<Gauge>()
    private let histograms = MetricCache<DurationHistogram>()

    /// Event types named in labels; any other is counted as `other`. Types come from events: a label for
    /// each value sent would let senders grow `/metrics` without bound (2,000 distinct 2 KB types made it
    /// 8 MB). The event itself keeps its type.
    private let eventTypes: Set<String>

    public init(eventTypes: Set<String>) {
        self.eventTypes = eventTypes
    }

    /// The label value for an event's type.
    func typeLabel(_ type: String) -> String { eventTypes.contains(type) ? type : "other" }

    private func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Counter {
        counters.metric(name, labels) {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "hookline", metricName: name, unitName: "total",
                                                                  helpText: help), labels: labels)
        }
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
        gauges.metric(name, labels) {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "hookline", metricName: name, unitName: "",
                                                                helpText: help), labels: labels)
        }
    }

    // MARK: intake

    package func received(endpoint: String) {
        counter("events_received", "Webhook deliveries received", [("endpoint", endpoint)]).increment()
    }

    package func rejected(endpoint: String, reason: String) {
        counter("events_rejected", "Deliveries refused, by reason", [("endpoint", endpoint), ("reason", reason)]).increment()
    }

    package func accepted(endpoint: String, type: String) {
        counter("events_accepted", "Events journaled and acknowledged", [("endpoint", endpoint), ("type", typeLabel(type))]).increment()
    }

    package func duplicate(endpoint: String, type: String) {
        counter("events_duplicate", "Deliveries whose event was already journaled", [("endpoint", endpoint), ("type", typeLabel(type))])
            .increment()
    }

    package func warning(kind: String, count: Int) {
        counter("event_warnings", "Contract deviations found on accepted events, by kind", [("kind", kind)])
            .increment(by: Int64(count))
    }

    package func journalUnavailable() {
        counter("journal_write_failures", "Deliveries answered 503 because the journal could not write", []).increment()
    }

    // MARK: dispatch

    package func processed(type: String, script: String) {
        counter("runs_succeeded", "Script runs that finished", [("type", typeLabel(type)), ("script", script)]).increment()
    }

    package func failed(type: String, script: String, kind: String) {
        counter("runs_failed", "Script run attempts that failed (retried or dead)",
                [("type", typeLabel(type)), ("script", script), ("kind", kind)]).increment()
    }

    package func dead(type: String, script: String) {
        counter("runs_dead", "Script runs that failed every attempt", [("type", typeLabel(type)), ("script", script)]).increment()
    }

    package func runDuration(script: String, _ duration: Duration) {
        histograms.metric("run_duration", [("script", script)]) {
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "hookline", metricName: "run_duration", unitName: "seconds",
                                                 helpText: "Script run duration, host calls included"),
                labels: [("script", script)],
                buckets: [.microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
                          .milliseconds(500), .seconds(1), .seconds(5)])
        }.record(duration)
    }

    package func eventsProcessed(type: String, state: String) {
        counter("events_processed", "Events whose scripts all finished, by final state", [("type", typeLabel(type)), ("state", state)])
            .increment()
    }

    package func setQueueDepth(_ depth: Int) {
        gauge("queue_depth", "Events journaled and not yet processed").set(Double(depth))
    }

    /// The calls this node holds (their leases), and its name.
    package func setCallsHeld(_ count: Int, node: String) {
        gauge("calls_held", "Calls this node holds under its lease", [("node", node)]).set(Double(count))
    }

    package func setJournalSize(bytes: Int64) {
        gauge("journal_size_bytes", "Size of the journal on disk").set(Double(bytes))
    }

    package func scriptReload(outcome: String) {
        counter("script_reloads", "Script changes picked up, by outcome (loaded, failed)", [("outcome", outcome)]).increment()
    }

    // MARK: timers

    /// A timer operation that took effect with its run's record (`set`, `cancel`).
    package func timerOperation(_ kind: String) {
        counter("timer_operations", "Timer operations of successful runs, by kind (set, cancel)", [("kind", kind)]).increment()
    }

    /// A fired timer whose run is starting here for the first time, and how long after its due time.
    package func timerFired(late: Duration) {
        counter("timers_fired", "Timers that came due and started their handler", []).increment()
        histograms.metric("timer_lateness", []) {
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "hookline", metricName: "timer_lateness", unitName: "seconds",
                                                 helpText: "How long after its due time a timer's handler started"),
                labels: [],
                buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                          .seconds(1), .seconds(5), .seconds(60)])
        }.record(late)
    }

    /// A timer came due with no handler script in its folder.
    package func timerUnhandled() {
        counter("timers_unhandled", "Timers that came due with no script in timers/ to handle them", []).increment()
    }

    // MARK: host API

    package func hostCall(_ kind: String, outcome: String) {
        counter("host_calls", "Host calls made by scripts, by kind and outcome", [("kind", kind), ("outcome", outcome)])
            .increment()
    }

    package func alertDelivery(channel: String, outcome: String) {
        counter("alert_deliveries", "Alert deliveries to channels, by outcome", [("channel", channel), ("outcome", outcome)])
            .increment()
    }

    /// The Prometheus text exposition of everything above.
    package func render() -> [UInt8] { registry.emitToBuffer() }
}

/// Metrics already made, by name and label values.
private final class MetricCache<Metric: Sendable>: Sendable {
    private let made = Mutex<[[String]: Metric]>([:])

    func metric(_ name: String, _ labels: [(String, String)], make: () -> Metric) -> Metric {
        var key = [name]
        for (_, value) in labels { key.append(value) }
        if let metric = made.withLock({ $0[key] }) { return metric }
        let metric = make()  // outside the lock: the registry returns the same metric to a racing second maker
        made.withLock { $0[key] = metric }
        return metric
    }
}
