import Basics
import EventDispatch
import Foundation
import Hummingbird
import Journal

/// The state of things at a glance: events by type per minute over the last hour and per half hour over the
/// last day, what intake accepted and
/// refused (since this process started), the backlog, runs and their p50/p99 duration per script over the
/// last hour, alert deliveries, whether the scripts' last edit compiled, and the nodes sharing the journal.
struct OverviewPage: Sendable {
    static let sampleLimit = 20_000
    let sources: ConsoleSources

    struct Count { let label: String; let count: Int }
    struct Bar { let level: Int; let label: String }
    struct TypeChart { let type: String; let total: Int; let bars: [Bar] }
    struct Timing { let script: String; let runs: Int; let ok: Int; let failed: Int; let dead: Int; let p50: String; let p99: String }
    struct Node {
        let name: String
        let thisNode: Bool
        let started: ConsoleTime
        let heartbeat: ConsoleTime
        let alive: Bool
        /// The scripts' version the node announced (equal on nodes that run the same scripts).
        let scripts: String
    }
    struct View {
        let title = "Overview"
        let nav = Navigation(overview: true)
        let csrf: String
        let charts: [TypeChart]
        let dayCharts: [TypeChart]
        let sampledRuns: Bool
        let accepted: Int
        let duplicates: Int
        let refusals: [Count]
        let backlog: Int
        let runsOK: Int
        let runsFailed: Int
        let runsDead: Int
        let timings: [Timing]
        let alerts: [Count]
        let problems: [ScriptsPage.Problem]
        let hasProblems: Bool
        let scriptCount: Int
        let scriptsVersion: String
        let nodes: [Node]
        let hasNodes: Bool
    }

    func render(session: ConsoleSession, renderer: PageRenderer) async throws -> Response {
        let now = epochMilliseconds()
        let hourAgo = now - 3_600_000
        async let eventsLastDay = sources.journal.eventCounts(since: now - 86_400_000)
        async let runsLastHour = sources.journal.runs(since: hourAgo, limit: Self.sampleLimit)
        async let statistics = sources.journal.statistics()
        async let sharing = sources.journal.sharingNodes()
        let events = try await eventsLastDay, runs = try await runsLastHour, backlog = try await statistics.pending
        let nodes = try await sharing.map { node in
            Node(name: node.name, thisNode: node.incarnation == sources.node, started: ConsoleTime(node.startedAt),
                 heartbeat: ConsoleTime(node.heartbeatAt), alive: node.expiresAt > now, scripts: node.scriptsVersion ?? "not announced")
        }
        let metrics = MetricsText(String(decoding: sources.telemetry.render(), as: UTF8.self))
        let sets = sources.scriptSets()
        let problems = sets.flatMap { set in set.errors.map { ScriptsPage.Problem(text: ScriptProblem.text($0, folder: set.folder)) } }
        return renderer.page("overview", View(
            csrf: session.csrf, charts: Self.charts(events, now: now, span: 3_600_000, bucket: 60_000),
            dayCharts: Self.charts(events, now: now, span: 86_400_000, bucket: 1_800_000), sampledRuns: runs.count == Self.sampleLimit,
            accepted: metrics.total("hookline_events_accepted_total"), duplicates: metrics.total("hookline_events_duplicate_total"),
            refusals: metrics.totals("hookline_events_rejected_total", by: ["reason"]).map { Count(label: $0.key, count: $0.count) },
            backlog: backlog,
            runsOK: runs.filter { $0.outcome == .ok }.count, runsFailed: runs.filter { $0.outcome == .failed }.count,
            runsDead: runs.filter { $0.outcome == .dead }.count, timings: Self.timings(runs),
            alerts: metrics.totals("hookline_alert_deliveries_total", by: ["channel", "outcome"]).map { Count(label: $0.key, count: $0.count) },
            problems: problems, hasProblems: !problems.isEmpty, scriptCount: sets.map(\.scripts.count).reduce(0, +),
            scriptsVersion: ScriptSet.version(of: sets), nodes: nodes, hasNodes: !nodes.isEmpty))
    }

    /// Per type, the `span` before `now` in bars of `bucket` ms, the oldest first, heights in 20 steps of the
    /// busiest bar.
    static func charts(_ counts: [EventCount], now: Int64, span: Int64, bucket: Int64) -> [TypeChart] {
        let start = now - span
        let bars = Int(span / bucket)
        var buckets: [String: [Int]] = [:]
        for count in counts where count.minute >= start {
            let index = Int((count.minute - start) / bucket)
            guard index < bars else { continue }
            buckets[count.type, default: Array(repeating: 0, count: bars)][index] += count.count
        }
        let minutes = bucket / 60_000
        return buckets.keys.sorted().map { type in
            let counts = buckets[type]!
            let peak = max(counts.max() ?? 1, 1)
            return TypeChart(type: type, total: counts.reduce(0, +), bars: counts.enumerated().map { index, count in
                Bar(level: count == 0 ? 0 : max(1, count * 20 / peak), label: "\(Int64(bars - index) * minutes) min ago: \(count)")
            })
        }
    }

    /// One short hash of every loaded script's version: equal on two nodes when they run the same scripts.
    static func timings(_ runs: [RunRecord]) -> [Timing] {
        Dictionary(grouping: runs, by: \.script).sorted { $0.key < $1.key }.map { script, runs in
            let durations = runs.map(\.durationMicroseconds).sorted()
            func percentile(_ p: Double) -> String {
                RunView.milliseconds(durations[min(durations.count - 1, Int((Double(durations.count) * p).rounded(.up)) - 1)])
            }
            return Timing(script: script, runs: runs.count, ok: runs.filter { $0.outcome == .ok }.count,
                          failed: runs.filter { $0.outcome == .failed }.count, dead: runs.filter { $0.outcome == .dead }.count,
                          p50: percentile(0.5), p99: percentile(0.99))
        }
    }
}
