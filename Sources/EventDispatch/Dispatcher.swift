import Basics
import Foundation
import HostAPI
import JSON
import Journal
import Logging
import LuaRuntime
import Observability
import Synchronization

package struct DispatchSettings: Sendable {
    package var limits: LuaLimits
    /// Retries after a failed attempt, before a run is marked dead.
    package var retries: Int
    /// Delay before the first retry; it doubles for each further one (at most 5 minutes).
    package var retryBackoff: Duration
    /// Lua states per scripts folder.
    package var poolSize: Int
    /// Runs in flight per state (they share it while waiting for I/O).
    package var runsPerEngine: Int
    /// Events held in memory at once; the rest wait in the journal.
    package var window: Int
    /// How often the scripts folders are checked for changes; nil turns hot reload off.
    package var reloadInterval: Duration?
    /// How long this node's claims stay its own without a renewal (renewed every third of it).
    package var lease: Duration
    /// How often the journal is asked for waiting work and, without signals, for changes to held calls.
    package var pollInterval: Duration
    /// What scripts may do with timers.
    package var timerLimits: TimerLimits
    /// The header each HTTP request of a script carries, `<event id>-<script>-<call index>` (nil: none).
    package var idempotencyHeader: String?

    package init(limits: LuaLimits = LuaLimits(), retries: Int = 5, retryBackoff: Duration = .seconds(1),
                poolSize: Int = ProcessInfo.processInfo.activeProcessorCount, runsPerEngine: Int = 32, window: Int = 1024,
                reloadInterval: Duration? = .seconds(1), lease: Duration = .seconds(15), pollInterval: Duration = .seconds(1),
                timerLimits: TimerLimits = TimerLimits(), idempotencyHeader: String? = "Idempotency-Key") {
        self.limits = limits
        self.retries = retries
        self.retryBackoff = retryBackoff
        self.poolSize = poolSize
        self.runsPerEngine = runsPerEngine
        self.window = window
        self.reloadInterval = reloadInterval
        self.lease = lease
        self.pollInterval = pollInterval
        self.timerLimits = timerLimits
        self.idempotencyHeader = idempotencyHeader
    }
}

/// Runs every journaled event through the scripts of its type, after it was acknowledged.
///
/// Work comes by call: this node runs the events of the calls it holds (`WorkQueue`), taking events it
/// stored itself straight from intake and reading the rest from the journal (`CallBook` decides which).
/// Runs of one script for one call happen in the order of the events within the call; different calls and
/// scripts run in parallel on a pool of Lua states (`Scheduler`). A failed run is retried with exponential
/// backoff while later events of the same call wait for that script only; after the last retry it is dead
/// (`RetryPolicy`). Records are written in batches, fenced by the call's claim (`RunRecorder`). At most
/// `window` events are in memory; the rest wait in the journal, and after a restart, or on another node
/// after this one died, every event not recorded as done runs again (at least once).
package final class Dispatcher: Sendable {
    private struct Folder {
        var pool: EnginePool
        var waiters: [CheckedContinuation<Scheduler.Job?, Never>] = []
    }

    /// An event in the scheduler: what its jobs need to run.
    private struct Admitted {
        var event: PendingEvent
        var document: JSONDocument?
        var body: [UInt8]?
        var claim: CallClaim
    }

    private struct State {
        var book: CallBook
        var scheduler = Scheduler()
        var admitted: [EventID: Admitted] = [:]
        var folders: [String: Folder] = [:]
        var stopping = false
        /// The lease may have ended (renewals failed): no run starts until a renewal succeeds.
        var paused = false
        /// Counts successful renewals: a pause timed for an older one does not apply.
        var renewals = 0
            /// What the latest failed attempt of each script of an event in memory did (from the journal when the event
        /// was read, then from this node's attempts): its retry returns those results for the calls that match.
        var earlierEffects: [EventID: [String: EffectRecord]] = [:]
        /// Timer operations of finished successful runs, by call, whose records may not be committed yet: a
        /// timer's run checks them (and the journal) for an operation made before it in the call's order.
        var recentTimerOperations: [CallKey: [(event: EventID, name: String)]] = [:]
        /// The earliest due time of timers set by runs here since the timer loop last looked (epoch ms): the
        /// loop wakes for it instead of waiting for its next poll of the journal.
        var earliestTimerSetHere: Int64?
        /// The scripts' version last announced to the other nodes (`WorkQueue.announce`).
        var announcedScripts: String?
        var workers: [Task<Void, Never>] = []
    }

    /// What to do once the state's lock is released.
    private struct Actions {
        var loads: [CallBook.Load] = []
        var wake: [(CheckedContinuation<Scheduler.Job?, Never>, Scheduler.Job)] = []
    }

    private let queue: any WorkQueue
    private let node: NodeIdentity
    private let telemetry: Telemetry
    private let logger: Logger
    private let settings: DispatchSettings
    private let retryPolicy: RetryPolicy
    /// Endpoint name -> scripts folder; endpoints not listed use `defaultFolder`.
    private let folderOfEndpoint: [String: String]
    private let defaultFolder: String
    private let pools: ScriptPools
    private let executor: RunExecutor
    private let recorder: RunRecorder
    /// What decides which timers are due and dates runs and completions.
    private let clock: any WallClock
    private let state: Mutex<State>
    /// Loops that live as long as the dispatcher (claims, polls, leases, folder watchers), cancelled at stop.
    private let background = Mutex<[Task<Void, Never>]>([])
    private let recording = Mutex<Task<Void, Never>?>(nil)

    package init(queue: any WorkQueue, node: NodeIdentity, effects: any Effects, telemetry: Telemetry, logger: Logger,
                settings: DispatchSettings, defaultFolder: String, endpointFolders: [String: String] = [:],
                clock: any WallClock = SystemClock()) {
        self.queue = queue
        self.clock = clock
        self.node = node
        self.telemetry = telemetry
        self.logger = logger
        self.settings = settings
        retryPolicy = RetryPolicy(retries: settings.retries, backoff: settings.retryBackoff)
        self.defaultFolder = defaultFolder
        folderOfEndpoint = endpointFolders
        pools = ScriptPools(poolSize: settings.poolSize, limits: settings.limits,
                            functions: HostLibrary.functions(telemetry: telemetry, timerLimits: settings.timerLimits,
                                                             idempotencyHeader: settings.idempotencyHeader), telemetry: telemetry, logger: logger)
        executor = RunExecutor(effects: effects, node: node, telemetry: telemetry, clock: clock)
        recorder = RunRecorder(queue: queue, node: node, logger: logger)
        state = Mutex(State(book: CallBook(window: settings.window, page: min(256, settings.window))))
    }

    // MARK: lifecycle

    /// Loads the scripts, starts the workers, takes this node's lease and starts taking work. Fails when a
    /// scripts folder cannot be read (a folder that does not exist yet has no scripts until it is created).
    package func start() async throws(ScriptFolderError) {
        for folder in Set([defaultFolder] + folderOfEndpoint.values).sorted() {
            let pool = try await pools.load(folder, generation: 1)
            state.withLock { $0.folders[folder] = Folder(pool: pool) }
            startWorkers(folder: folder, pool: pool)
        }
        do {
            try await queue.heartbeat(node, lease: settings.lease)
            await announceScripts()
        } catch {
            logger.error("cannot take this node's lease in the journal; retrying", metadata: ["error": "\(error)"])
        }
        let recorder = self.recorder
        recording.withLock {
            $0 = Task { await recorder.run { [weak self] written in self?.recorded(written) } }
        }
        spawn { await self.leaseLoop() }
        spawn { await self.claimLoop() }
        spawn { await self.timerLoop() }
        spawn { await self.pollLoop(every: self.queue.workSignals(for: self.node) == nil ? self.settings.pollInterval
                                                                                      : self.settings.pollInterval * 5) }
        if let signals = queue.workSignals(for: node) {
            spawn {
                for await call in signals { self.apply { $0.book.changed(call) } }
            }
        }
        if let interval = settings.reloadInterval {
            for folder in Set([defaultFolder] + folderOfEndpoint.values) {
                spawn {
                    await self.pools.watch(folder, every: interval,
                                           current: { self.state.withLock { $0.folders[folder]?.pool.set } },
                                           install: { self.install($0, for: folder) })
                }
            }
        }
    }

    /// Stops taking new runs, lets runs in flight finish, writes their records, and gives this node's calls up.
    package func stop() async {
        let (workers, waiters) = state.withLock { state in
            state.stopping = true
            let waiters = state.folders.values.flatMap(\.waiters)
            for key in state.folders.keys { state.folders[key]!.waiters.removeAll() }
            return (state.workers, waiters)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        for worker in workers { await worker.value }
        for task in background.withLock({ $0 }) { task.cancel() }
        for task in background.withLock({ $0 }) { await task.value }
        recorder.stop()
        await recording.withLock({ $0 })?.value
        do {
            try await queue.leave(node)
        } catch {
            logger.warning("could not give this node's calls up; other nodes take them when its lease ends",
                           metadata: ["error": "\(error)"])
        }
    }

    /// The scripts each folder runs now.
    package var scriptSets: [ScriptSet] {
        state.withLock { $0.folders.values.map(\.pool.set) }.sorted { $0.folder < $1.folder }
    }

    /// Events in memory that still have runs to do.
    package var inFlight: Int { state.withLock { $0.book.eventsInMemory } }

    /// The calls this node holds now.
    package var callsHeld: Int { state.withLock { $0.book.calls } }

    /// Calls whose recent timer operations are kept in memory (until their records are committed and the call
    /// is given up): bounded by the calls held, not by the calls seen.
    package var callsWithTimerOperationsInMemory: Int { state.withLock { $0.recentTimerOperations.count } }

    // MARK: intake hand-off

    /// Called by intake for each event it stored (on the journal's thread, in commit order): when this node
    /// holds the call and knew all of its work, the event runs without a journal read or a second parse.
    package func submit(_ event: PendingEvent, document: JSONDocument, stored: StoredEvent) {
        apply { $0.book.stored(event, document: document, as: stored) }
    }

    // MARK: the feed

    /// Applies a change of the call book, and everything that follows from it, under the lock; then starts the
    /// reads and wakes the workers it called for.
    private func apply(_ change: (inout State) -> CallBook.Step) {
        let actions = state.withLock { state -> Actions in
            var actions = Actions()
            var step = change(&state)
            absorb(&step, into: &state, actions: &actions)
            return actions
        }
        perform(actions)
    }

    private func absorb(_ step: inout CallBook.Step, into state: inout State, actions: inout Actions) {
        var folders = Set<String>()
        while !(step.admit.isEmpty && step.loads.isEmpty && step.drops.isEmpty) {
            var next = CallBook.Step()
            for claim in step.drops {
                state.scheduler.drop(claim.call, upTo: claim.token)
                state.recentTimerOperations[claim.call] = nil
                state.admitted = state.admitted.filter { $0.value.claim.call != claim.call || $0.value.claim.token > claim.token }
                let admitted = state.admitted
                state.earlierEffects = state.earlierEffects.filter { admitted[$0.key] != nil }
            }
            actions.loads += step.loads
            for admission in step.admit {
                let folder = folderOfEndpoint[admission.event.endpoint] ?? defaultFolder
                let handlers = state.folders[folder]?.pool.set.scripts(for: admission.event.type) ?? []
                let timer = Timers.name(ofEventType: admission.event.type)
                if let timer, handlers.isEmpty { unhandled(timer, admission.event, folder: folder) }
                let scripts = handlers.map(\.path).filter { !admission.progress.finished.contains($0) }
                    .map { (script: $0, attempt: (admission.progress.attempts[$0] ?? 0) + 1) }
                if !admission.progress.effects.isEmpty { state.earlierEffects[admission.event.id] = admission.progress.effects }
                state.admitted[admission.event.id] = Admitted(event: admission.event, document: admission.document,
                                                              body: admission.body, claim: admission.claim)
                // a timer's run has the call to itself: its place in the call's order is its due time
                if let finished = state.scheduler.add(admission.event.id, call: admission.claim.call,
                                                      token: admission.claim.token, folder: folder, scripts: scripts,
                                                      exclusive: timer != nil) {
                    next.append(complete(finished, type: admission.event.type, generation: admission.event.generation,
                                         state: &state))
                }
                folders.insert(folder)
            }
            step = next
        }
        for folder in folders { actions.wake += assign(&state, folder: folder) }
    }

    private func unhandled(_ timer: String, _ event: PendingEvent, folder: String) {
        telemetry.timerUnhandled()
        logger.warning("a timer came due with no handler; add timers/\(timer).lua to the scripts folder", metadata: [
            "timer": "\(timer)", "call_id": "\(event.callID)", "endpoint": "\(event.endpoint)", "folder": "\(folder)",
        ])
    }

    /// An event whose scripts all finished: its completion is recorded, with its call's release when the
    /// call is idle now.
    private func complete(_ finished: Scheduler.Finished, type: String, generation: Int, state: inout State) -> CallBook.Step {
        state.admitted[finished.eventID] = nil
        state.earlierEffects[finished.eventID] = nil
        let claim = CallClaim(call: finished.call, token: finished.token)
        let (releaseAt, step) = state.book.finished(finished.eventID, of: claim)
        let outcome: EventState = finished.failed ? .failed : .done
        recorder.add(nil, completion: EventCompletion(eventID: finished.eventID, generation: generation, state: outcome,
                                                      finishedAt: clock.now()),
                     claim: claim, releaseAt: releaseAt)
        telemetry.eventsProcessed(type: type, state: outcome.rawValue)
        return step
    }

    private func perform(_ actions: Actions) {
        for (waiter, job) in actions.wake { waiter.resume(returning: job) }
        for load in actions.loads {
            Task {
                do {
                    let work = try await queue.pendingWork(of: load.claim, for: node, after: load.after, limit: load.limit)
                    apply { $0.book.loaded(load, work) }
                } catch {
                    logger.error("cannot read a call's pending events from the journal; will try again",
                                 metadata: ["call": "\(load.claim.call)", "error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                    apply { $0.book.loadFailed(load) }
                }
            }
        }
    }

    private func recorded(_ written: [RunRecorder.Written]) {
        apply { state in
            var step = CallBook.Step()
            for batch in written {
                // a call given up with its last records has its timer operations in the journal
                if batch.outcome != .recorded(released: false) { state.recentTimerOperations[batch.claim.call] = nil }
                step.append(state.book.written(batch))
            }
            return step
        }
    }

    /// Asks the journal for waiting work (calls nobody holds, a dead node's calls) while there is room.
    private func claimLoop() async {
        while !Task.isCancelled {
            let room = state.withLock { $0.stopping || $0.paused ? 0 : $0.book.room }
            if room > 0 {
                do {
                    let claims = try await queue.claimWaitingCalls(for: node, limit: max(1, min(64, room / 16)))
                    if !claims.isEmpty {
                        logger.debug("claimed waiting calls", metadata: ["calls": "\(claims.count)"])
                        apply { $0.book.claimed(claims) }
                        continue  // there may be more
                    }
                } catch {
                    logger.error("cannot ask the journal for waiting work; will try again", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: settings.pollInterval)
        }
    }

    /// Fires due timers (in a cluster, one node at a time does; each timer fires once), and hands those of
    /// calls this node holds to the work feed as appends do. Sleeps until the next timer is due, at most the
    /// poll interval (a timer set on another node is seen within it), at least a tick (timers due together
    /// fire in one commit); a timer set by a run here that comes due sooner wakes it (seen within a tick).
    private func timerLoop() async {
        let tick = Duration.milliseconds(20)
        while !Task.isCancelled {
            var wait = min(settings.pollInterval, .seconds(1))
            state.withLock { $0.earliestTimerSetHere = nil }
            if !state.withLock({ $0.stopping || $0.paused }) {
                do {
                    let now = clock.now()
                    let fired = try await queue.fireDueTimers(now: now, claimant: node, limit: 256)
                    for timer in fired {
                        guard let document = try? JSONParser.parse(timer.body, options: RunExecutor.storedBodies) else { continue }
                        submit(timer.event, document: document, stored: timer.stored)
                    }
                    if fired.count == 256 { continue }
                    if let next = try await queue.nextTimerDue() {
                        wait = min(wait, .milliseconds(max(0, next - clock.now())))
                    }
                } catch {
                    logger.error("cannot fire due timers; will try again", metadata: ["error": "\(error)"])
                }
            }
            var wake = ContinuousClock.now + max(wait, tick)
            while ContinuousClock.now < wake, !Task.isCancelled {
                try? await Task.sleep(for: min(tick, ContinuousClock.now.duration(to: wake)))
                if let due = state.withLock({ $0.earliestTimerSetHere }) {
                    wake = min(wake, ContinuousClock.now + .milliseconds(max(0, due - clock.now())))
                }
            }
        }
    }

    /// Compares the calls the journal says this node holds with what it knows: work added elsewhere is read,
    /// calls lost are dropped.
    private func pollLoop(every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            await checkHeldCalls()
        }
    }

    private func checkHeldCalls() async {
        let seen = state.withLock { $0.book.mutations }
        guard let held = try? await queue.heldCalls(of: node) else { return }
        apply { $0.book.polled(held, seen: seen) }
    }

    /// Renews this node's lease every third of it, or more often when the pause below comes sooner. No run
    /// starts once the lease might end before a run could finish (the script timeout), unless a renewal came
    /// first: another node may take the calls over then, and two runs of one call must never overlap. The pause is timed, not decided when a renewal fails: a renewal
    /// that waits for an unreachable database can take longer than the lease. The first renewal that succeeds
    /// checks which calls are still this node's before runs start again.
    private func leaseLoop() async {
        let margin = settings.limits.timeout + .seconds(1)
        // a renewal is sent well before the pause it would prevent (with the shortest lease allowed, the pause
        // comes 1 s after a renewal)
        let interval = min(settings.lease / 3, (settings.lease - margin) / 2)
        var pause = pauseRuns(at: ContinuousClock.now + settings.lease - margin, unless: 0)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let sent = ContinuousClock.now
            do {
                try await queue.heartbeat(node, lease: settings.lease)
                await announceScripts()
                let (renewal, wasPaused) = state.withLock { state in
                    state.renewals += 1
                    return (state.renewals, state.paused)
                }
                pause.cancel()
                pause = pauseRuns(at: sent + settings.lease - margin, unless: renewal)
                if wasPaused {
                    await checkHeldCalls()
                    let wake = state.withLock { state in
                        state.paused = false
                        return state.folders.keys.flatMap { Self.assign(&state, folder: $0) }
                    }
                    perform(Actions(wake: wake))
                    logger.notice("this node's lease is renewed again; runs resume")
                }
            } catch {
                logger.error("cannot renew this node's lease; will try again", metadata: ["error": "\(error)"])
            }
        }
        pause.cancel()
    }

    /// Tells the other nodes which scripts this node runs, after a reload changed them (or the first time).
    private func announceScripts() async {
        let version = ScriptSet.version(of: scriptSets)
        guard state.withLock({ $0.announcedScripts != version }) else { return }
        do {
            try await queue.announce(node, scriptsVersion: version)
            state.withLock { $0.announcedScripts = version }
        } catch {
            logger.warning("cannot tell the other nodes which scripts this node runs; will try again",
                           metadata: ["error": "\(error)"])
        }
    }

    /// Pauses runs at `instant` unless a renewal after `renewal` came first.
    private func pauseRuns(at instant: ContinuousClock.Instant, unless renewal: Int) -> Task<Void, Never> {
        Task { [self] in
            guard (try? await Task.sleep(until: instant)) != nil else { return }
            let paused = state.withLock { state in
                guard state.renewals == renewal, !state.paused else { return false }
                state.paused = true
                return true
            }
            if paused { logger.error("cannot renew this node's lease; no run starts until it is renewed") }
        }
    }

    // MARK: workers

    private func install(_ pool: EnginePool, for folder: String) {
        let retired = state.withLock { state -> [CheckedContinuation<Scheduler.Job?, Never>] in
            guard !state.stopping else { return [] }
            let waiters = state.folders[folder]?.waiters ?? []
            state.folders[folder]?.waiters = []
            state.folders[folder]?.pool = pool
            return waiters
        }
        for waiter in retired { waiter.resume(returning: nil) }  // workers of the old pool end
        startWorkers(folder: folder, pool: pool)
    }

    private func startWorkers(folder: String, pool: EnginePool) {
        var tasks: [Task<Void, Never>] = []
        for (index, engine) in pool.engines.enumerated() {
            for _ in 0..<settings.runsPerEngine {
                tasks.append(Task(executorPreference: engine.executor) {
                    while var job = await self.nextJob(folder: folder, generation: pool.generation) {
                        // the next run of the same call and script continues here, without a hand-over
                        while let next = await self.execute(job, folder: folder, pool: pool, engine: index) { job = next }
                    }
                })
            }
        }
        state.withLock { $0.workers.append(contentsOf: tasks) }
    }

    private func nextJob(folder: String, generation: Int) async -> Scheduler.Job? {
        await withCheckedContinuation { continuation in
            let job: Scheduler.Job?? = state.withLock { state in
                guard !state.stopping, state.folders[folder]?.pool.generation == generation else { return .some(nil) }
                if !state.paused, let job = state.scheduler.next(in: folder) { return .some(job) }
                state.folders[folder]!.waiters.append(continuation)
                return .none
            }
            if let job { continuation.resume(returning: job) }
        }
    }

    /// Pairs waiting workers of `folder` with jobs that may start.
    private static func assign(_ state: inout State, folder: String) -> [(CheckedContinuation<Scheduler.Job?, Never>, Scheduler.Job)] {
        var pairs: [(CheckedContinuation<Scheduler.Job?, Never>, Scheduler.Job)] = []
        guard !state.paused else { return [] }
        while let waiter = state.folders[folder]?.waiters.last, let job = state.scheduler.next(in: folder) {
            state.folders[folder]!.waiters.removeLast()
            pairs.append((waiter, job))
        }
        return pairs
    }

    private func assign(_ state: inout State, folder: String) -> [(CheckedContinuation<Scheduler.Job?, Never>, Scheduler.Job)] {
        Self.assign(&state, folder: folder)
    }

    /// Runs one job and records it; returns the next job of the same key when this worker may run it now.
    private func execute(_ job: Scheduler.Job, folder: String, pool: EnginePool, engine index: Int) async -> Scheduler.Job? {
        guard let subject = state.withLock({ $0.admitted[job.eventID] }), subject.claim.token == job.token else {
            // the call was given up or taken over since: the job counts for nothing
            return finish(job, folder: folder, outcome: .succeeded, record: nil, retryAfter: nil, generation: pool.generation)
        }
        var document = subject.document
        if document == nil, let body = subject.body {
            document = try? JSONParser.parse(body, options: RunExecutor.storedBodies)
            state.withLock { state in
                state.admitted[job.eventID]?.document = document
                state.admitted[job.eventID]?.body = nil
            }
        }
        let supersededTimer = Timers.name(ofEventType: subject.event.type).map { name in
            let setBy = document?.root["message"]?["timer"]?["set_by"]?.integer ?? 0
            return state.withLock { state in
                (state.recentTimerOperations[job.key.call] ?? []).contains {
                    $0.name == name && $0.event.rawValue > setBy && $0.event < job.eventID
                }
            }
        } ?? false
        let earlierEffects = state.withLock { $0.earlierEffects[job.eventID]?[job.key.script] }
        let (result, record) = await executor.run(script: job.key.script, attempt: job.attempt, event: subject.event,
                                                  document: document, claim: subject.claim, pool: pool, engine: index,
                                                  supersededTimer: supersededTimer, earlierEffects: earlierEffects)
        var outcome = Scheduler.Outcome.succeeded
        var retryAfter: Duration?
        var finished = record
        switch result {
        case .success:
            telemetry.processed(type: subject.event.type, script: job.key.script)
        case .failure(let error):
            telemetry.failed(type: subject.event.type, script: job.key.script, kind: error.kind.rawValue)
            switch retryPolicy.afterFailure(ofAttempt: job.attempt) {
            case .retry(let delay):
                outcome = .retrying
                retryAfter = delay
                finished.outcome = .failed
                logger.warning("script failed; will retry", metadata: [
                    "event_id": "\(subject.event.id)", "script": "\(job.key.script)", "attempt": "\(job.attempt)",
                    "error": "\(error.description)", "retry_in": "\(delay)",
                ])
            case .dead:
                outcome = .dead
                finished.outcome = .dead
                telemetry.dead(type: subject.event.type, script: job.key.script)
                logger.error("script failed its last attempt; the run is dead", metadata: [
                    "event_id": "\(subject.event.id)", "script": "\(job.key.script)", "attempts": "\(job.attempt)",
                    "error": "\(error.description)",
                ])
            }
        }
        return finish(job, folder: folder, outcome: outcome, record: finished, retryAfter: retryAfter, generation: pool.generation)
    }

    private func finish(_ job: Scheduler.Job, folder: String, outcome: Scheduler.Outcome, record: RunRecord?,
                        retryAfter: Duration?, generation: Int) -> Scheduler.Job? {
        let claim = CallClaim(call: job.key.call, token: job.token)
        var following: Scheduler.Job?
        let actions = state.withLock { state -> Actions in
            var actions = Actions()
            let continuing = !state.stopping && !state.paused && state.folders[folder]?.pool.generation == generation
            let (finished, next) = state.scheduler.finish(job, outcome, continuing: continuing)
            following = next
            var step = CallBook.Step()
            // the run's record goes before the completion it may bring, into the same batch
            if let record { recorder.add(record, completion: nil, claim: claim) }
            if let record, record.outcome == .failed, state.admitted[record.eventID] != nil {
                state.earlierEffects[record.eventID, default: [:]][record.script] = record.effects
            }
            if let record, record.outcome == .ok, !record.timerOperations.isEmpty {
                var recent = state.recentTimerOperations[job.key.call] ?? []
                recent += record.timerOperations.map { (record.eventID, $0.name) }
                state.recentTimerOperations[job.key.call] = Array(recent.suffix(256))
                for case .set(let dueAt, _, _) in record.timerOperations.map(\.kind) {
                    state.earliestTimerSetHere = min(state.earliestTimerSetHere ?? dueAt, dueAt)
                }
            }
            if let finished, let admitted = state.admitted[finished.eventID] {
                step = complete(finished, type: admitted.event.type, generation: admitted.event.generation, state: &state)
            }
            absorb(&step, into: &state, actions: &actions)
            actions.wake += assign(&state, folder: folder)
            return actions
        }
        perform(actions)
        if let retryAfter {
            Task {
                try? await Task.sleep(for: retryAfter)
                let wake = self.state.withLock { state in
                    state.scheduler.retryDue(job.key)
                    return Self.assign(&state, folder: folder)
                }
                for (waiter, job) in wake { waiter.resume(returning: job) }
            }
        }
        return following
    }

    // MARK: helpers

    private func spawn(_ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        background.withLock { $0.append(task) }
    }
}
