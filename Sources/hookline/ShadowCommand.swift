import ArgumentParser
import Foundation
import Journal
import ScriptTools

struct ShadowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shadow",
        abstract: "Show what edited scripts would change on real events, before they go live.",
        discussion: """
            Runs journaled events (read-only; the journal may be live) through the scripts in --scripts with every \
            effect recorded and none performed, and compares, event by event and script by script, what they would \
            do with what the live scripts did. HTTP calls are answered with the response the live run recorded for \
            the same request (else 200 with an empty body), store reads with what the live run read (else the store \
            as it is now), time.now() with the live run's time. The current scripts (--current) run in the same \
            harness: what differs between them and the live record (times, random values) is noise, and ignored.

            Prints a summary first (per script: identical, changed, new failures with their error and line, fixed \
            failures), then each group of events that changed the same way, with its count and two examples \
            (- what the live script did, + what the candidate would do). Exit status 1 when anything changed, for CI.

            Examples:
              hookline shadow --scripts ./candidate                  # the last 24 hours
              hookline shadow --scripts ./candidate --last 5000 --type hang
              hookline shadow --scripts ./candidate --since 7d --json | jq 'select(.scripts[].status != "identical")'
            """
    )

    @Option(help: "The candidate scripts folder (an edited copy of the scripts).")
    var scripts: String
    @Option(help: "The scripts running now, which tell noise apart.")
    var current = "./scripts"
    @Option(help: "Events received since: a duration (30m, 24h, 7d) or an ISO-8601 time. Default 24h unless --last.")
    var since: String?
    @Option(help: "The last N events instead.")
    var last: Int?
    @Option(help: "Only this event type.")
    var type: String?
    @Option(help: "Only this call.")
    var call: String?
    @Option(help: "Only this endpoint.")
    var endpoint: String?
    @Option(help: "Lua states per folder (default: the number of cores).")
    var workers = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("allow-env"), help: ArgumentHelp(
        "Environment variables env(name) returns in the runs, from this command's environment (as `hookline serve --allow-env`); repeatable or comma-separated. Without it env() returns nil: live values are never recorded.",
        valueName: "name"))
    var allowEnv: [String] = []
    @Flag(help: "One JSON object per event instead of the report.")
    var json = false
    @OptionGroup var journalLocation: JournalLocation

    func validate() throws {
        if since != nil && last != nil { throw ValidationError("give --since or --last, not both") }
        if let last, last <= 0 { throw ValidationError("--last takes a positive number of events") }
        guard FileManager.default.fileExists(atPath: scripts) else { throw ValidationError("no scripts folder at \(scripts)") }
    }

    func run() async throws {
        let journal = try await journalLocation.open()
        let runner: ShadowRunner
        do {
            let allowed = Set(allowEnv.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
            runner = try await ShadowRunner.load(current: current, candidate: scripts, states: max(1, workers), store: journal,
                                                 environment: ProcessInfo.processInfo.environment.filter { allowed.contains($0.key) })
        } catch {
            await journal.close()
            throw ValidationError("cannot read the scripts: \(error)")
        }
        for error in runner.candidateErrors {
            FileHandle.standardError.write(Data("does not compile (its events count as failures): \(error)\n".utf8))
        }
        let query = EventQuery(type: type, callID: call, endpoint: endpoint, states: [.done, .failed, .pending],
                               since: last == nil ? try parseSince(since ?? "24h") : nil, limit: last ?? 100_000_000)
        let started = ContinuousClock.now
        var report = ShadowReport(current: current, candidate: scripts)
        do {
            // oldest first; an event whose scripts are all unchanged needs neither a read nor a run; the next
            // batch is read while this one runs
            let summaries = try await journal.events(matching: query).reversed() as [EventSummary]
            let batches = stride(from: 0, to: summaries.count, by: 512).map { Array(summaries[$0..<min($0 + 512, summaries.count)]) }
            func read(_ batch: [EventSummary]) -> Task<[EventDetail], any Error> {
                let ids = batch.filter { runner.withoutRunning($0) == nil }.map(\.id)
                return Task { try await Self.read(ids, from: journal) }
            }
            var reading = batches.first.map(read)
            for (index, batch) in batches.enumerated() {
                let details = try await reading!.value
                reading = index + 1 < batches.count ? read(batches[index + 1]) : nil
                let ran = Dictionary(await Self.compare(details, runner).map { ($0.summary.id, $0) }) { a, _ in a }
                for summary in batch {
                    guard let event = runner.withoutRunning(summary) ?? ran[summary.id] else { continue }  // pruned meanwhile
                    if json { print(ShadowReport.json(event)) }
                    report.add(event)
                }
            }
        } catch {
            await journal.close()
            throw error
        }
        await journal.close()
        if !json { print(report.text(elapsed: ContinuousClock.now - started)) }
        if report.anythingChanged { throw ExitCode(1) }
    }

    /// Events in full, in one read.
    static func read(_ ids: [EventID], from journal: any Journal) async throws -> [EventDetail] {
        try await journal.events(ids)
    }

    /// Each event compared on one of the runner's Lua states, several at a time on each; in event order.
    static func compare(_ details: [EventDetail], _ runner: ShadowRunner) async -> [ShadowEvent] {
        await withTaskGroup(of: [(Int, ShadowEvent)].self) { group in
            let lanes = runner.states * 4
            for lane in 0..<min(lanes, details.count) {
                group.addTask {
                    // each lane takes every lanes-th event, so that lanes never share an event
                    var found: [(Int, ShadowEvent)] = []
                    for index in stride(from: lane, to: details.count, by: lanes) {
                        found.append((index, await runner.compare(details[index], on: lane % runner.states)))
                    }
                    return found
                }
            }
            var events = [ShadowEvent?](repeating: nil, count: details.count)
            for await found in group { for (index, event) in found { events[index] = event } }
            return events.compactMap { $0 }
        }
    }
}
