@testable import EventDispatch
import Journal
import Testing

/// The per-key order of runs, as a plain value: no journal, no Lua.
@Suite struct SchedulerTests {
    static let call1 = CallKey(endpoint: "default", callID: "CA1")
    static let call2 = CallKey(endpoint: "default", callID: "CA2")

    static func add(_ scheduler: inout Scheduler, _ id: Int64, _ call: CallKey = call1, token: Int64 = 1,
                    scripts: [String] = ["a.lua"]) -> Scheduler.Finished? {
        scheduler.add(EventID(id), call: call, token: token, folder: "f", scripts: scripts.map { ($0, 1) })
    }

    @Test func runsOfOneKeyGoOneAtATimeInEventOrder() {
        var scheduler = Scheduler()
        for id in [3, 1, 2] as [Int64] { _ = Self.add(&scheduler, id) }
        let first = scheduler.next(in: "f")!
        #expect(first.eventID == EventID(1), "added out of order, run in order")
        #expect(scheduler.next(in: "f") == nil, "the key is busy")
        let (finished, following) = scheduler.finish(first, .succeeded, continuing: true)
        #expect(finished?.eventID == EventID(1))
        #expect(following?.eventID == EventID(2), "the same worker goes on with the key")
        let (_, third) = scheduler.finish(following!, .succeeded, continuing: false)
        #expect(third == nil)
        #expect(scheduler.next(in: "f")?.eventID == EventID(3), "without continuing, the key is ready for anyone")
    }

    @Test func differentCallsAndScriptsRunAtOnce() {
        var scheduler = Scheduler()
        _ = Self.add(&scheduler, 1, scripts: ["a.lua", "b.lua"])
        _ = Self.add(&scheduler, 2, Self.call2)
        var jobs: [Scheduler.Job] = []
        while let job = scheduler.next(in: "f") { jobs.append(job) }
        #expect(Set(jobs.map { "\($0.eventID) \($0.key.script)" }) == ["1 a.lua", "1 b.lua", "2 a.lua"])
        let (partly, _) = scheduler.finish(jobs.first { $0.key.script == "a.lua" && $0.eventID == EventID(1) }!, .succeeded,
                                           continuing: false)
        #expect(partly == nil, "an event finishes when its last script does")
        let (whole, _) = scheduler.finish(jobs.first { $0.key.script == "b.lua" }!, .dead, continuing: false)
        #expect(whole == Scheduler.Finished(eventID: EventID(1), call: Self.call1, token: 1, failed: true))
        #expect(scheduler.count == 1)
    }

    @Test func aRetryHoldsItsKeyUntilItIsDue() {
        var scheduler = Scheduler()
        _ = Self.add(&scheduler, 1)
        _ = Self.add(&scheduler, 2)
        let job = scheduler.next(in: "f")!
        #expect(scheduler.finish(job, .retrying, continuing: true) == (nil, nil))
        #expect(scheduler.next(in: "f") == nil, "later events of the call wait for the retry")
        scheduler.retryDue(job.key)
        let again = scheduler.next(in: "f")!
        #expect(again.eventID == EventID(1) && again.attempt == 2)
    }

    @Test func anEventWithNothingToRunIsFinishedAtOnce() {
        var scheduler = Scheduler()
        let finished = Self.add(&scheduler, 1, scripts: [])
        #expect(finished == Scheduler.Finished(eventID: EventID(1), call: Self.call1, token: 1, failed: false))
        #expect(scheduler.count == 0 && scheduler.next(in: "f") == nil)
    }

    @Test func aDroppedCallsJobsCountForNothing() {
        var scheduler = Scheduler()
        _ = Self.add(&scheduler, 1)
        _ = Self.add(&scheduler, 2)
        _ = Self.add(&scheduler, 5, Self.call2)
        let running = scheduler.next(in: "f")!
        #expect(running.eventID == EventID(1))
        scheduler.drop(Self.call1, upTo: 1)
        #expect(!scheduler.contains(EventID(1)) && !scheduler.contains(EventID(2)) && scheduler.contains(EventID(5)))
        // taken again under a new claim while the old run still runs: the key stays busy until it ends
        _ = Self.add(&scheduler, 2, token: 2)
        #expect(scheduler.next(in: "f")?.eventID == EventID(5))
        #expect(scheduler.next(in: "f") == nil, "no second run of the key while the dropped one runs")
        let (finished, following) = scheduler.finish(running, .succeeded, continuing: true)
        #expect(finished == nil, "a dropped event does not finish")
        #expect(following == Scheduler.Job(eventID: EventID(2), key: running.key, attempt: 1, token: 2))
    }
}

extension SchedulerTests {
    @Test func anExclusiveEventWaitsForEarlierOnesAndHoldsBackLaterOnes() {
        var scheduler = Scheduler()
        _ = Self.add(&scheduler, 1, scripts: ["a.lua", "b.lua"])
        _ = scheduler.add(EventID(2), call: Self.call1, token: 1, folder: "f", scripts: [("timers/t.lua", 1)], exclusive: true)
        _ = Self.add(&scheduler, 3, scripts: ["a.lua"])
        _ = Self.add(&scheduler, 4, Self.call2)
        var started: [Scheduler.Job] = []
        while let job = scheduler.next(in: "f") { started.append(job) }
        #expect(Set(started.map { "\($0.eventID) \($0.key.script)" }) == ["1 a.lua", "1 b.lua", "4 a.lua"],
                "the timer waits for event 1; event 3 waits for the timer; another call goes on")
        let a = started.first { $0.eventID == EventID(1) && $0.key.script == "a.lua" }!
        let (_, following) = scheduler.finish(a, .succeeded, continuing: true)
        #expect(following == nil, "event 3's a.lua may not continue past the timer")
        #expect(scheduler.next(in: "f") == nil, "event 1's b.lua still runs")
        _ = scheduler.finish(started.first { $0.key.script == "b.lua" }!, .succeeded, continuing: false)
        let timer = scheduler.next(in: "f")
        #expect(timer?.eventID == EventID(2))
        #expect(scheduler.next(in: "f") == nil, "nothing of the call runs beside the timer")
        let (done, _) = scheduler.finish(timer!, .succeeded, continuing: false)
        #expect(done?.eventID == EventID(2))
        #expect(scheduler.next(in: "f")?.eventID == EventID(3))
    }

    @Test func anExclusiveEventDoesNotStartBesideALaterRunAlreadyUnderWay() {
        var scheduler = Scheduler()
        _ = Self.add(&scheduler, 5)
        let later = scheduler.next(in: "f")!
        _ = scheduler.add(EventID(4), call: Self.call1, token: 1, folder: "f", scripts: [("timers/t.lua", 1)], exclusive: true)
        #expect(scheduler.next(in: "f") == nil)
        _ = scheduler.finish(later, .succeeded, continuing: false)
        #expect(scheduler.next(in: "f")?.eventID == EventID(4))
    }
}

@Suite struct RetryPolicyTests {
    @Test func theBackoffDoublesUpToItsLimitThenTheRunIsDead() {
        let policy = RetryPolicy(retries: 3, backoff: .seconds(1))
        #expect(policy.afterFailure(ofAttempt: 1) == .retry(after: .seconds(1)))
        #expect(policy.afterFailure(ofAttempt: 3) == .retry(after: .seconds(4)))
        #expect(policy.afterFailure(ofAttempt: 4) == .dead)
        #expect(RetryPolicy(retries: 30, backoff: .seconds(1)).afterFailure(ofAttempt: 25) == .retry(after: .seconds(300)))
        #expect(RetryPolicy(retries: 0, backoff: .seconds(1)).afterFailure(ofAttempt: 1) == .dead)
    }
}
