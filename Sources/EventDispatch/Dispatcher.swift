import DequeModule
import Foundation
import HostAPI
import JSON
import Journal
import Logging
import LuaRuntime
import Observability
import Synchronization

public struct DispatchSettings: Sendable {
    public var limits: LuaLimits
    /// Retries after a failed attempt, before a run is marked dead.
    public var retries: Int
    /// Delay before the first retry; it doubles for each further one (at most 5 minutes).
    public var retryBackoff: Duration
    /// Lua states per scripts folder.
    public var poolSize: Int
    /// Runs in flight per state (they share it while waiting for I/O).
    public var runsPerEngine: Int
    /// Events held in memory at once; the rest wait in the journal.
    public var window: Int
    /// How often the scripts folders are checked for changes; nil turns hot reload off.
    public var reloadInterval: Duration?

    public init(limits: LuaLimits = LuaLimits(), retries: Int = 5, retryBackoff: Duration = .seconds(1),
                poolSize: Int = ProcessInfo.processInfo.activeProcessorCount, runsPerEngine: Int = 32, window: Int = 1024,
                reloadInterval: Duration? = .seconds(1)) {
        self.limits = limits
        self.retries = retries
        self.retryBackoff = retryBackoff
        self.poolSize = poolSize
        self.runsPerEngine = runsPerEngine
        self.window = window
        self.reloadInterval = reloadInterval
    }
}

/// Runs every journaled event through the scripts of its type, after it was acknowledged.
///
/// Runs of one script for one call happen in the order the events were received (their journal ids);
/// different calls and different scripts run in parallel on a pool of Lua states. A failed run is retried
/// with exponential backoff while later events of the same call wait for that script only; after the last
/// retry it is dead. Pending work lives in the journal: at most `window` events are in memory, and after a
/// restart every event not recorded as done is run (at least once).
public final class Dispatcher: Sendable {
    private struct RunKey: Hashable {
        var folder: String
        var callID: String
        var script: String
    }

    struct Job {
        var eventID: EventID
        var script: String
        var attempt: Int
    }

    private struct Entry {
        var event: PendingEvent
        var document: JSONDocument?
        var folder: String
        var remaining: Set<String>
        var failed = false
    }

    private struct Folder {
        var pool: EnginePool
        var ready: Deque<RunKey> = []
        var waiters: [CheckedContinuation<Job?, Never>] = []
    }

    private struct State {
        var window: [EventID: Entry] = [:]
        var queues: [RunKey: Deque<Job>] = [:]
        /// Keys with a run in flight or waiting for a retry.
        var busy: Set<RunKey> = []
        var folders: [String: Folder] = [:]
        /// Events handed over by intake with their parsed bodies, by id, until the loader takes them.
        var hints: [EventID: (event: PendingEvent, document: JSONDocument)] = [:]
        /// Ids of events intake stored but the endpoint does not process, until the loader passes them.
        var passed: Set<EventID> = []
        /// The journal may hold pending events after the cursor that no hint announced (at start, after
        /// dropped hints, skipped ids): the loader must ask it.
        var queryNeeded = true
        /// Events up to this id existed before this process started: they may have run partly.
        var startupNewest = EventID(Int64.max)
        /// Events finished in memory whose completion the journal has not recorded yet: still "pending"
        /// there, so a scan must not take them again.
        var finishing: Set<EventID> = []
        /// Events whose completion was recorded lately, when: a scan that read the journal just before
        /// may still see them as pending.
        var recentlyFinished: [EventID: ContinuousClock.Instant] = [:]
        var cursor = EventID(0)
        var rescanCursor = EventID(0)
        var loading = false
        var loadAgain = false
        var stopping = false
        var workers: [Task<Void, Never>] = []
    }

    /// Bodies in the journal passed intake's strict parse (64 levels at most, no duplicate keys): reading
    /// one back needs neither check again.
    private static let storedBodies = JSONParser.Options(maxDepth: 64, rejectDuplicateKeys: false)

    private let journal: any Journal
    private let effects: any Effects
    private let telemetry: Telemetry
    private let logger: Logger
    private let settings: DispatchSettings
    /// Endpoint name -> scripts folder; endpoints not listed use `defaultFolder`.
    private let folderOfEndpoint: [String: String]
    private let defaultFolder: String
    private let functions: [HostFunction<ScriptContext>]
    private let state = Mutex(State())
    private let recorder: RunRecorder
    /// Loops that live as long as the dispatcher (rescans, folder watchers), cancelled at stop.
    private let background = Mutex<[Task<Void, Never>]>([])
    private let recording = Mutex<Task<Void, Never>?>(nil)

    public init(journal: any Journal, effects: any Effects, telemetry: Telemetry, logger: Logger, settings: DispatchSettings,
                defaultFolder: String, endpointFolders: [String: String] = [:]) {
        self.journal = journal
        self.effects = effects
        self.telemetry = telemetry
        self.logger = logger
        self.settings = settings
        self.defaultFolder = defaultFolder
        folderOfEndpoint = endpointFolders
        functions = HostLibrary.functions(telemetry: telemetry)
        recorder = RunRecorder(journal: journal, logger: logger)
    }

    // MARK: lifecycle

    /// Loads the scripts, starts the workers and picks up every pending event in the journal.
    public func start() async {
        for folder in Set([defaultFolder] + folderOfEndpoint.values).sorted() {
            let set = await ScriptLoader.load(folder: folder)
            report(set, previous: nil)
            let pool = await EnginePool.make(set: set, generation: 1, size: settings.poolSize, limits: settings.limits,
                                             functions: functions)
            state.withLock { $0.folders[folder] = Folder(pool: pool) }
            startWorkers(folder: folder, pool: pool)
        }
        if let newest = try? await journal.newestEventID() { state.withLock { $0.startupNewest = newest } }
        let recorder = self.recorder
        recording.withLock {
            $0 = Task {
                await recorder.run { [weak self] ids in
                    let now = ContinuousClock.now
                    self?.state.withLock { state in
                        state.finishing.subtract(ids)
                        for id in ids { state.recentlyFinished[id] = now }
                    }
                }
            }
        }
        spawn { await self.rescanLoop() }
        if let interval = settings.reloadInterval {
            for folder in Set([defaultFolder] + folderOfEndpoint.values) {
                spawn { await self.watch(folder, every: interval) }
            }
        }
        triggerLoad()
    }

    /// Stops taking new runs, lets runs in flight finish, and writes their records.
    public func stop() async {
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
    }

    /// The scripts each folder runs now.
    public var scriptSets: [ScriptSet] {
        state.withLock { $0.folders.values.map(\.pool.set) }.sorted { $0.folder < $1.folder }
    }

    /// Events in memory that still have runs to do.
    public var inFlight: Int { state.withLock { $0.window.count } }

    // MARK: intake hand-off

    /// Called by intake for each journaled event: its parsed body saves a journal read and a parse.
    public func submit(_ event: PendingEvent, document: JSONDocument) {
        state.withLock { state in
            if state.hints.count + state.passed.count < settings.window {
                state.hints[event.id] = (event, document)
            } else {
                state.queryNeeded = true
            }
        }
        triggerLoad()
    }

    /// Called by intake for each journaled event that is not to be processed (its endpoint does not take its
    /// type): without it, the loader would see a gap in the ids and read the journal to fill it.
    public func pass(over id: EventID) {
        state.withLock { state in
            if state.hints.count + state.passed.count < settings.window {
                state.passed.insert(id)
            } else {
                state.queryNeeded = true
            }
        }
        triggerLoad()
    }

    // MARK: loading from the journal

    private func triggerLoad() {
        let start = state.withLock { state in
            if state.loading || state.stopping {
                state.loadAgain = true
                return false
            }
            state.loading = true
            return true
        }
        if start { continueLoading() }
    }

    /// The loader: takes pending events after the cursor, in id order, into the window while it has room.
    /// Ids are given in commit order, so hinted events that continue the cursor without a gap need no journal
    /// read: those go in on the caller's thread (intake's journal callback, a finished run), without a task.
    /// Anything else (a gap, events from before this start) is read from the journal by a task.
    private func continueLoading() {
        while true {
            let (direct, room, cursor, query) = state.withLock { state in
                let room = max(0, settings.window - state.window.count)
                var direct: [(PendingEvent, JSONDocument?)] = []
                while direct.count < room {
                    let next = EventID(state.cursor.rawValue + 1)
                    if let hint = state.hints.removeValue(forKey: next) {
                        direct.append((hint.event, hint.document))
                    } else if state.passed.remove(next) == nil {
                        break
                    }
                    state.cursor = next
                }
                // a hint after a gap means the journal holds something the hints do not show; read it in
                // batches (a few free places at a time would mean many small reads)
                let batch = room - direct.count >= min(128, settings.window / 4) || state.window.isEmpty
                let ahead = !state.hints.isEmpty || !state.passed.isEmpty
                let query = (state.queryNeeded || (ahead && direct.isEmpty)) && batch
                return (direct, room - direct.count, state.cursor, query)
            }
            if direct.contains(where: { needsProgress($0.0) }) {
                Task {
                    await admit(direct)
                    if finishLoadingPass(more: true) { continueLoading() }
                }
                return
            }
            if !direct.isEmpty {
                for (event, document) in direct { enqueue(event, document: document, progress: RunProgress()) }
            } else if query && room > 0 {
                Task { await readPending(after: cursor, room: room) }
                return
            }
            if !finishLoadingPass(more: !direct.isEmpty) { return }
        }
    }

    /// The loader's journal read; the loader goes on afterwards.
    private func readPending(after cursor: EventID, room: Int) async {
        var more = true
        do {
            let events = try await journal.pendingEvents(after: cursor, limit: room)
            let withHints: [(PendingEvent, JSONDocument?)] = state.withLock { state in
                events.map { ($0.event, state.hints.removeValue(forKey: $0.event.id)?.document) }
            }.enumerated().map { index, item in
                (item.0, item.1 ?? (try? JSONParser.parse(events[index].body, options: Self.storedBodies)))
            }
            await admit(withHints)
            more = events.count == room
            state.withLock { state in
                if let last = events.last { state.cursor = max(state.cursor, last.event.id) }
                state.queryNeeded = more
                state.hints = state.hints.filter { $0.key > state.cursor }
                state.passed = state.passed.filter { $0 > state.cursor }
            }
        } catch {
            logger.error("cannot read pending events from the journal; will try again", metadata: ["error": "\(error)"])
            try? await Task.sleep(for: .seconds(1))
        }
        if finishLoadingPass(more: more) { continueLoading() }
    }

    /// Ends one pass of the loader: true when another is due (it stays the loader), else the loader is idle.
    private func finishLoadingPass(more: Bool) -> Bool {
        state.withLock { state in
            let again = (state.loadAgain || more) && !state.stopping && state.window.count < settings.window
            state.loadAgain = false
            if !again { state.loading = false }
            return again
        }
    }

    /// Every few seconds, walks all pending events (from the start) to pick up any the cursor passed:
    /// events put back by `hookline replay`, for instance.
    private func rescanLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            let (after, room) = state.withLock { state in
                let horizon = ContinuousClock.now - .seconds(10)  // far longer than a journal read
                state.recentlyFinished = state.recentlyFinished.filter { $0.value > horizon }
                return (state.rescanCursor, settings.window - state.window.count)
            }
            guard room > 0, let events = try? await journal.pendingEvents(after: after, limit: min(room, 256)) else { continue }
            // only behind the cursor (what lies ahead is the loader's, in order), and not just finished
            let fresh = state.withLock { state in
                events.filter { event in
                    event.event.id <= state.cursor && state.window[event.event.id] == nil
                        && !state.finishing.contains(event.event.id) && state.recentlyFinished[event.event.id] == nil
                }
            }.map { ($0.event, try? JSONParser.parse($0.body, options: Self.storedBodies)) }
            await admit(fresh)
            state.withLock { $0.rescanCursor = events.count < min(room, 256) ? EventID(0) : (events.last?.event.id ?? EventID(0)) }
        }
    }

    /// An event from before this process started, or replayed, may have run partly: its progress is read first.
    private func needsProgress(_ event: PendingEvent) -> Bool {
        event.generation > 0 || state.withLock { event.id <= $0.startupNewest }
    }

    /// Puts events into the window and queues their runs, skipping the runs each one already finished.
    private func admit(_ events: [(PendingEvent, JSONDocument?)]) async {
        for (event, document) in events {
            var progress = RunProgress()
            if needsProgress(event) {
                do {
                    progress = try await journal.runProgress(of: event.id, generation: event.generation)
                } catch {
                    logger.error("cannot read run progress; the event stays pending", metadata: ["event_id": "\(event.id)"])
                    continue
                }
            }
            enqueue(event, document: document, progress: progress)
        }
    }

    /// Puts one event into the window and queues the runs `progress` does not show finished.
    private func enqueue(_ event: PendingEvent, document: JSONDocument?, progress: RunProgress) {
        let folder = folderOfEndpoint[event.endpoint] ?? defaultFolder
        let (known, set) = state.withLock { state in
            (state.window[event.id] != nil || state.finishing.contains(event.id), state.folders[folder]?.pool.set)
        }
        guard !known, let set else { return }
        let scripts = set.scripts(for: event.type).map(\.path).filter { !progress.finished.contains($0) }
        if scripts.isEmpty {
            state.withLock { _ = $0.finishing.insert(event.id) }
            recorder.add(nil, completion: EventCompletion(eventID: event.id, generation: event.generation, state: .done,
                                                          finishedAt: now()))
            telemetry.eventsProcessed(type: event.type, state: "done")
            return
        }
        let wake: [(CheckedContinuation<Job?, Never>, Job)] = state.withLock { state in
            guard state.window[event.id] == nil, !state.finishing.contains(event.id) else { return [] }
            state.window[event.id] = Entry(event: event, document: document, folder: folder, remaining: Set(scripts))
            for script in scripts {
                let key = RunKey(folder: folder, callID: event.callID, script: script)
                let job = Job(eventID: event.id, script: script, attempt: (progress.attempts[script] ?? 0) + 1)
                let busy = state.busy.contains(key)
                state.queues[key, default: []].insertInOrder(job, after: busy ? 1 : 0)
                if !busy && state.queues[key]!.count == 1 { state.folders[folder]?.ready.append(key) }
            }
            return Self.assign(&state, folder: folder)
        }
        for (waiter, job) in wake { waiter.resume(returning: job) }
    }

    // MARK: workers

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

    private func nextJob(folder: String, generation: Int) async -> Job? {
        await withCheckedContinuation { continuation in
            let job: Job?? = state.withLock { state in
                guard !state.stopping, state.folders[folder]?.pool.generation == generation else { return .some(nil) }
                if let job = Self.take(&state, folder: folder) { return .some(job) }
                state.folders[folder]!.waiters.append(continuation)
                return .none
            }
            if let job { continuation.resume(returning: job) }
        }
    }

    /// The head job of the next ready key of `folder`, marking the key busy.
    private static func take(_ state: inout State, folder: String) -> Job? {
        while let key = state.folders[folder]?.ready.popFirst() {
            guard !state.busy.contains(key), let job = state.queues[key]?.first else { continue }
            state.busy.insert(key)
            return job
        }
        return nil
    }

    /// Pairs waiting workers of `folder` with ready jobs.
    private static func assign(_ state: inout State, folder: String) -> [(CheckedContinuation<Job?, Never>, Job)] {
        var pairs: [(CheckedContinuation<Job?, Never>, Job)] = []
        while let waiter = state.folders[folder]?.waiters.last, let job = take(&state, folder: folder) {
            state.folders[folder]!.waiters.removeLast()
            pairs.append((waiter, job))
        }
        return pairs
    }

    /// Runs one job and records it; returns the next job of the same key when it can run right away.
    private func execute(_ job: Job, folder: String, pool: EnginePool, engine index: Int) async -> Job? {
        // an event leaves the window only once all its jobs finished, so a job always finds its entry
        guard let entry = state.withLock({ $0.window[job.eventID] }) else { return nil }
        let event = entry.event
        let key = RunKey(folder: folder, callID: event.callID, script: job.script)
        var document = entry.document
        if document == nil {
            document = await loadDocument(event.id)
            if let document { state.withLock { $0.window[event.id]?.document = document } }
        }
        let startedAt = now()
        let clock = ContinuousClock.now
        let context = ScriptContext(eventID: event.id.description, endpoint: event.endpoint, type: event.type,
                                    callID: event.callID, script: job.script, attempt: job.attempt, effects: effects)
        let result: Result<RunReport, ScriptError>
        let version = pool.set.scripts.first { $0.path == job.script }?.version ?? "removed"
        if let compiled = pool.script(job.script, on: index), let message = document?.root["message"] {
            let ctx: LuaValue = .table(LuaTable(fields: [
                "event_id": .string(event.id.description), "endpoint": .string(event.endpoint), "type": .string(event.type),
                "call_id": .string(event.callID), "received_at": .integer(event.receivedAt),
                "attempt": .integer(Int64(job.attempt)), "script": .string(job.script),
                "warnings": .table(LuaTable(array: event.warnings.map(LuaValue.string), isArray: true)),
            ]))
            result = await pool.engines[index].run(compiled, event: .json(message), ctx: ctx, context: context)
        } else if document == nil {
            result = .failure(ScriptError(kind: .runtime, script: job.script, message: """
                the event's body could not be read from the journal: its body file is missing or short (a power cut \
                before the body reached the disk leaves this; such an event was never acknowledged)
                """))
        } else {
            result = .success(RunReport(duration: .zero, hostCalls: 0))  // the script was removed since the event arrived
        }
        let duration = ContinuousClock.now - clock
        telemetry.runDuration(script: job.script, duration)
        return finish(job, key: key, event: event, result: result, generation: pool.generation, record: RunRecord(
            eventID: event.id, generation: event.generation, script: job.script, scriptVersion: version, attempt: job.attempt,
            startedAt: startedAt, durationMicroseconds: duration.microseconds, outcome: .ok, hostCalls: context.hostCalls))
    }

    private func finish(_ job: Job, key: RunKey, event: PendingEvent, result: Result<RunReport, ScriptError>, generation: Int,
                        record: RunRecord) -> Job? {
        var record = record
        var retryAt: Duration?
        switch result {
        case .success:
            telemetry.processed(type: event.type, script: job.script)
        case .failure(let error):
            telemetry.failed(type: event.type, script: job.script, kind: error.kind.rawValue)
            record.errorKind = error.kind.rawValue
            record.error = error.description
            record.errorLine = error.line
            if job.attempt <= settings.retries {
                record.outcome = .failed
                let exponent = min(job.attempt - 1, 20)
                retryAt = min(settings.retryBackoff * (1 << exponent), .seconds(300))
                logger.warning("script failed; will retry", metadata: [
                    "event_id": "\(event.id)", "script": "\(job.script)", "attempt": "\(job.attempt)",
                    "error": "\(error.description)", "retry_in": "\(retryAt!)",
                ])
            } else {
                record.outcome = .dead
                telemetry.dead(type: event.type, script: job.script)
                logger.error("script failed its last attempt; the run is dead", metadata: [
                    "event_id": "\(event.id)", "script": "\(job.script)", "attempts": "\(job.attempt)",
                    "error": "\(error.description)",
                ])
            }
        }
        let (completion, wake, next): (EventCompletion?, [(CheckedContinuation<Job?, Never>, Job)], Job?) = state.withLock { state in
            // the job in flight is the head of its key (nothing is ever queued before a busy head)
            if retryAt != nil {
                state.queues[key]?[0].attempt += 1  // stays at the head, busy, until the retry is due
                return (nil, [], nil)
            }
            state.queues[key]?.removeFirst()
            if state.queues[key]?.isEmpty ?? false { state.queues[key] = nil }
            // the same worker takes the key's next job (the key stays busy); a retired pool hands it back
            var next: Job?
            if let following = state.queues[key]?.first, !state.stopping,
               state.folders[key.folder]?.pool.generation == generation {
                next = following
            } else {
                state.busy.remove(key)
                if state.queues[key] != nil { state.folders[key.folder]?.ready.append(key) }
            }
            var completion: EventCompletion?
            if var entry = state.window[event.id] {
                entry.remaining.remove(job.script)
                if record.outcome == .dead { entry.failed = true }
                if entry.remaining.isEmpty {
                    state.window[event.id] = nil
                    state.finishing.insert(event.id)
                    completion = EventCompletion(eventID: event.id, generation: event.generation,
                                                 state: entry.failed ? .failed : .done, finishedAt: now())
                } else {
                    state.window[event.id] = entry
                }
            }
            return (completion, Self.assign(&state, folder: key.folder), next)
        }
        recorder.add(record, completion: completion)
        if let completion {
            telemetry.eventsProcessed(type: event.type, state: completion.state.rawValue)
            triggerLoad()
        }
        for (waiter, job) in wake { waiter.resume(returning: job) }
        if let retryAt {
            Task {
                try? await Task.sleep(for: retryAt)
                self.retryDue(key)
            }
        }
        return next
    }

    private func retryDue(_ key: RunKey) {
        let wake = state.withLock { state in
            state.busy.remove(key)
            guard state.queues[key] != nil else { return [(CheckedContinuation<Job?, Never>, Job)]() }
            state.folders[key.folder]?.ready.append(key)
            return Self.assign(&state, folder: key.folder)
        }
        for (waiter, job) in wake { waiter.resume(returning: job) }
    }

    private func loadDocument(_ id: EventID) async -> JSONDocument? {
        guard let body = try? await journal.body(of: id) else { return nil }
        return try? JSONParser.parse(body, options: Self.storedBodies)
    }

    // MARK: hot reload

    private func watch(_ folder: String, every interval: Duration) async {
        var fingerprint = ScriptLoader.fingerprint(folder)
        var generation = 1
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let current = ScriptLoader.fingerprint(folder)
            guard current != fingerprint else { continue }
            fingerprint = current
            guard let previous = state.withLock({ $0.folders[folder]?.pool.set }) else { continue }
            let set = await ScriptLoader.load(folder: folder, previous: previous)
            report(set, previous: previous)
            generation += 1
            let pool = await EnginePool.make(set: set, generation: generation, size: settings.poolSize,
                                             limits: settings.limits, functions: functions)
            let retired = state.withLock { state -> [CheckedContinuation<Job?, Never>] in
                guard !state.stopping else { return [] }
                let waiters = state.folders[folder]?.waiters ?? []
                state.folders[folder]?.waiters = []
                state.folders[folder]?.pool = pool
                return waiters
            }
            for waiter in retired { waiter.resume(returning: nil) }  // workers of the old pool end
            startWorkers(folder: folder, pool: pool)
        }
    }

    /// Logs what a (re)load found: the scripts per type, changes, and errors as `path:line: message`.
    private func report(_ set: ScriptSet, previous: ScriptSet?) {
        for error in set.errors {
            telemetry.scriptReload(outcome: "failed")
            logger.error("script does not compile\(previous == nil ? "" : "; the previous version keeps running")",
                         metadata: ["error": "\(error.description)", "folder": "\(set.folder)"])
        }
        guard let previous else { return }
        let old = Dictionary(uniqueKeysWithValues: previous.scripts.map { ($0.path, $0.version) })
        let new = Dictionary(uniqueKeysWithValues: set.scripts.map { ($0.path, $0.version) })
        var changes: [String] = []
        for (path, version) in new.sorted(by: { $0.key < $1.key }) where old[path] != version {
            changes.append(old[path] == nil ? "added \(path)" : "changed \(path)")
        }
        for path in old.keys.sorted() where new[path] == nil { changes.append("removed \(path)") }
        if previous.modules.mapValues(\.text) != set.modules.mapValues(\.text) { changes.append("lib/ changed") }
        if !changes.isEmpty {
            telemetry.scriptReload(outcome: "loaded")
            logger.notice("scripts reloaded", metadata: ["changes": "\(changes.joined(separator: ", "))", "folder": "\(set.folder)"])
        }
    }

    // MARK: helpers

    private func spawn(_ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        background.withLock { $0.append(task) }
    }

    private func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

extension Deque where Element == Dispatcher.Job {
    /// Inserts in journal (event id) order, never before the first `after` elements (a job in flight).
    mutating func insertInOrder(_ job: Element, after protected: Int) {
        var position = count
        while position > protected, self[position - 1].eventID > job.eventID { position -= 1 }
        insert(job, at: position)
    }
}

extension Duration {
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
