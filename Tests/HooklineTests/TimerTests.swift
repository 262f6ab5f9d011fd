import Basics
import Foundation
import JSON
import Journal
import Testing
import TestSupport

/// Timers end to end on a real server and journal: set by one event's run, cancelled by another's, fired into
/// the call's order once, kept across a restart, retried and dead like any run.
@Suite struct TimerTests {
    /// hang.lua sets "hang-unresolved" for `seconds`; an assistant reply cancels it; the handler writes a line
    /// per firing with the call, how late it ran, and the event that set it.
    static func scripts(seconds: Double = 1) -> [String: String] {
        [
            "hang.lua": #"timer.set("hang-unresolved", \#(seconds), { question = "Do I need to fast?" })"#,
            "conversation-update.lua": """
                local cancelled = timer.cancel("hang-unresolved")
                file.append("cancels/" .. ctx.call_id .. ".txt", tostring(cancelled) .. "\\n")
                """,
            "timers/hang-unresolved.lua": """
                file.append("fired.txt", ctx.call_id .. " " .. timer.late_ms .. " " .. ctx.set_by .. " " .. timer.data.question .. "\\n")
                """,
        ]
    }

    static func fired(_ server: TestServer) -> [[Substring]] {
        (server.scratch.read("data/out/fired.txt") ?? "").split(separator: "\n").map { $0.split(separator: " ", maxSplits: 3) }
    }

    /// On a clock the test moves: the recovery's cancel runs before the timers' due time however slow the machine
    /// is, and the silent call's timer fires when the clock reaches it, not before, with `late_ms` 0.
    @Test func aHangNobodyRecoversFiresOnceAndARecoveryCancelsIt() async throws {
        let clock = ManualClock(at: 1_800_000_000_000)
        try await withServer(scripts: Self.scripts(seconds: 60), clock: clock) { server in
            let hang = try await server.post(event("fixtures/hang.json", callID: "SILENT"))
            #expect(hang.status == 200)
            #expect(try await server.post(event("fixtures/hang.json", callID: "RECOVERED")).status == 200)
            // hang.lua and conversation-update.lua run side by side: the recovery comes once the hang's timer is
            // set, so that its cancel finds it (a cancel that comes first is the race test's case)
            try await server.drained()
            #expect(try await server.post(conversationUpdate(callID: "RECOVERED", messages: 2)).status == 200)
            try await server.drained()
            #expect(Self.fired(server).isEmpty, "nothing is due before the clock moves")
            clock.advance(by: .seconds(60))
            try await eventually("the timer fired", timeout: .seconds(10)) { !Self.fired(server).isEmpty }
            try await Task.sleep(for: .seconds(1.5))  // a second firing or the cancelled one would show by now
            try await server.drained()
            let lines = Self.fired(server)
            #expect(lines.count == 1)
            #expect(lines.first?[0] == "SILENT")
            #expect(lines.first?[1] == "0", "fired when the clock reached its due time: \(lines)")
            #expect(lines.first?[2] == Substring(hang.json?["id"]?.string ?? "?"), "ctx.set_by is the hang's event id")
            #expect(lines.first?[3] == "Do I need to fast?", "the handler gets the data given to timer.set")
            #expect(server.scratch.read("data/out/cancels/RECOVERED.txt") == "true\n")
            #expect(try await server.journal.timers(matching: TimerQuery()).isEmpty, "nothing left pending")
            let timerEvents = try await server.journal.events(matching: EventQuery(type: "timer:hang-unresolved"))
            #expect(timerEvents.map(\.callID) == ["SILENT"], "the firing is an event of its call in the journal")
            #expect(timerEvents.first?.state == .done)
            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains("hookline_timers_fired_total 1"))
            #expect(metrics.contains(#"hookline_timer_operations_total{kind="set"} 2"#))
            #expect(metrics.contains(#"hookline_timer_operations_total{kind="cancel"} 1"#))
        }
    }

    /// On a clock the test moves: the hang's receipt and its timer are dated by it, the timer waits through a stop,
    /// comes due while Hookline is down, and after the restart fires exactly as late as the clock was moved past due.
    @Test func timersPendingAtAStopFireLateAfterTheRestart() async throws {
        let scratch = Scratch()
        let start: Int64 = 1_800_000_000_000
        let clock = ManualClock(at: start)
        try await withServer(scripts: Self.scripts(seconds: 3600), scratch: scratch, clock: clock) { server in
            #expect(try await server.post(event("fixtures/hang.json", callID: "DOWNTIME")).status == 200)
            try await eventually("the timer is pending in the journal") {
                try await server.journal.timers(matching: TimerQuery(callID: "DOWNTIME")).count == 1
            }
            let timer = try #require(try await server.journal.timers(matching: TimerQuery(callID: "DOWNTIME")).first)
            #expect(timer.setAt == start && timer.dueAt == start + 3_600_000)
            #expect(try await server.journal.events(matching: EventQuery(callID: "DOWNTIME")).map(\.receivedAt) == [start])
        }
        clock.advance(by: .seconds(3600 + 90))  // it comes due while Hookline is down
        try await withServer(scripts: Self.scripts(seconds: 3600), scratch: scratch, clock: clock) { server in
            try await eventually("the timer fired after the restart", timeout: .seconds(10)) { !Self.fired(server).isEmpty }
            let lines = Self.fired(server)
            #expect(lines.count == 1 && lines.first?[0] == "DOWNTIME")
            #expect(lines.first?[1] == "90000", "late_ms says how late: \(lines)")
            let fired = try await server.journal.events(matching: EventQuery(type: "timer:hang-unresolved"))
            #expect(fired.map(\.receivedAt) == [start + 3_690_000], "the timer's event is dated when it fired")
        }
    }

    /// An assistant reply arriving right at the due time, 200 times: either its cancel comes first in the call's
    /// order (it returns true and the handler never runs) or the timer does (the handler runs once, and the cancel,
    /// after it, finds nothing). Never both, never neither, never twice.
    @Test func aCancelRacingTheDueTimeHasOneOfTwoOutcomes() async throws {
        try await withServer(scripts: [
            "hang.lua": #"timer.set("t", 0.5)"#,
            "conversation-update.lua": """
                file.append("cancels/" .. ctx.call_id .. ".txt", tostring(timer.cancel("t")) .. "\\n")
                """,
            "timers/t.lua": #"file.append("fired/" .. ctx.call_id .. ".txt", "x\n")"#,
        ]) { server in
            let calls = (0..<200).map { "RACE\($0)" }
            // each reply is sent around its call's due time: 0.5 s after the hang, give or take 60 ms
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, call) in calls.enumerated() {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(index * 5))
                        #expect(try await server.post(event("fixtures/hang.json", callID: call)).status == 200)
                        try await Task.sleep(for: .milliseconds(440 + index % 120))
                        #expect(try await server.post(conversationUpdate(callID: call, messages: 2)).status == 200)
                    }
                }
                try await group.waitForAll()
            }
            try await Task.sleep(for: .seconds(1))
            try await server.drained()
            var cancelledFirst = 0, firedFirst = 0
            for call in calls {
                let cancel = server.scratch.read("data/out/cancels/\(call).txt")
                let fired = server.scratch.read("data/out/fired/\(call).txt")
                switch (cancel, fired) {
                case ("true\n", nil): cancelledFirst += 1
                case ("false\n", "x\n"): firedFirst += 1
                default: Issue.record("call \(call): cancel \(String(describing: cancel)), fired \(String(describing: fired))")
                }
            }
            #expect(cancelledFirst + firedFirst == 200)
            #expect(try await server.journal.timers(matching: TimerQuery()).isEmpty)
            print("cancel/fire race: \(cancelledFirst) cancelled first, \(firedFirst) fired first")
        }
    }

    @Test func aHandlerSetsTheNextTimerItself() async throws {
        try await withServer(scripts: [
            "hang.lua": #"timer.set("step", 0.1, { n = 1 })"#,
            "timers/step.lua": """
                file.append("chain.txt", timer.data.n .. " " .. timer.name .. "\\n")
                if timer.data.n < 3 then timer.set("step", 0.1, { n = timer.data.n + 1 }) end
                """,
        ]) { server in
            #expect(try await server.post(event("fixtures/hang.json", callID: "CHAIN")).status == 200)
            try await eventually("three steps ran", timeout: .seconds(10)) {
                server.scratch.read("data/out/chain.txt") == "1 step\n2 step\n3 step\n"
            }
        }
    }

    @Test func aFailingHandlerIsRetriedThenDeadWithItsLine() async throws {
        try await withServer(scripts: [
            "hang.lua": #"timer.set("t", 0.2)"#,
            "timers/t.lua": """
                file.append("attempts.txt", ctx.attempt .. "\\n")
                error("the pager is down")
                """,
        ], configure: { $0.retries = 2 }) { server in
            #expect(try await server.post(event("fixtures/hang.json", callID: "FAILS")).status == 200)
            try await eventually("the timer's run is dead", timeout: .seconds(20)) {
                try await server.journal.events(matching: EventQuery(type: "timer:t", states: [.failed])).count == 1
            }
            #expect(server.scratch.read("data/out/attempts.txt") == "1\n2\n3\n")
            let id = try #require(try await server.journal.events(matching: EventQuery(type: "timer:t")).first?.id)
            let runs = try #require(try await server.journal.event(id)).runs
            #expect(runs.map(\.outcome) == [.failed, .failed, .dead])
            #expect(runs.last?.errorLine == 2)
            #expect(runs.last?.error?.contains("the pager is down") == true)
        }
    }

    @Test func aCallOverItsTimerLimitGetsAnErrorNamingTheLimit() async throws {
        try await withServer(scripts: [
            "hang.lua": #"for i = 1, 4 do timer.set("t" .. i, 3600) end"#,
            "error.lua": #"timer.set("far", 8 * 86400)"#,
        ], configure: { settings in
            settings.timersPerCall = 3
            settings.retries = 0
        }) { server in
            #expect(try await server.post(event("fixtures/hang.json", callID: "LIMIT")).status == 200)
            try await server.drained()
            let id = try #require(try await server.journal.events(matching: EventQuery(callID: "LIMIT")).first?.id)
            let run = try #require(try await server.journal.event(id)?.runs.last)
            #expect(run.outcome == .dead)
            #expect(run.error?.contains("--timers-per-call") == true, "\(run.error ?? "")")
            #expect(try await server.journal.timers(matching: TimerQuery()).isEmpty, "the failed run set none of them")

            #expect(try await server.post(event("fixtures/error-llm.json", callID: "FAR")).status == 200)
            try await server.drained()
            let far = try #require(try await server.journal.events(matching: EventQuery(callID: "FAR")).first?.id)
            let refused = try #require(try await server.journal.event(far)?.runs.last)
            #expect(refused.error?.contains("at most 604800 (--timer-max-delay)") == true, "\(refused.error ?? "")")
        }
    }

    @Test func tenThousandPendingTimersKeepMemoryBounded() async throws {
        try await withServer(scripts: [
            "status-update.lua": #"for i = 1, 100 do timer.set("t" .. i, 3600 + i, { n = i }) end"#,
        ]) { server in
            let before = residentBytes()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for call in 0..<100 {
                    group.addTask { _ = try await server.post(event("fixtures/status-update-ongoing.json", callID: "MANY\(call)")) }
                }
                try await group.waitForAll()
            }
            try await server.drained()
            try await eventually("10,000 timers are pending") {
                try await server.journal.timers(matching: TimerQuery(limit: 20_000)).count == 10_000
            }
            try await eventually("the calls are given up, and their timer operations left to the journal") {
                server.hookline.dispatcher.callsWithTimerOperationsInMemory == 0
            }
            let grown = residentBytes() - before
            #expect(grown < 64 << 20, "10,000 pending timers grew the process by \(grown >> 20) MiB")
            let soonest = try #require(try await server.journal.nextTimerDue())
            #expect(soonest > epochMilliseconds() + 3_500_000)
        }
    }
}

/// The resident memory of this process (Linux).
private func residentBytes() -> Int {
    let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
    return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}
