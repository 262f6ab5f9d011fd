import DequeModule
import Journal

/// Which run may start next. Runs of one script for one call happen one at a time, in event order; runs of
/// different calls or scripts are independent. A plain value: the dispatcher keeps it under its lock.
///
/// ```swift
/// var scheduler = Scheduler()
/// scheduler.add(event, folder: "scripts", scripts: [("hang.lua", 1), ("any.lua", 1)])
/// while let job = scheduler.next(in: "scripts") {
///     let (finished, following) = scheduler.finish(job, .succeeded, continuing: true)
///     // `finished`: the event when this was its last script; `following`: the key's next job, for this worker
/// }
/// ```
struct Scheduler {
    /// What runs in order: one script (of one folder) for one call.
    struct Key: Hashable {
        var folder: String
        var call: CallKey
        var script: String
    }

    struct Job: Equatable {
        var eventID: EventID
        var key: Key
        var attempt: Int
        /// The claim the event was taken under: a job of a call given up since is not counted.
        var token: Int64
    }

    enum Outcome: Equatable {
        case succeeded
        /// Failed; the key waits (busy, the job at its head) until `retryDue`.
        case retrying
        /// Failed its last attempt.
        case dead
    }

    /// An event whose every script finished (succeeded or dead).
    struct Finished: Equatable {
        var eventID: EventID
        var call: CallKey
        var token: Int64
        var failed: Bool
    }

    private struct Progress {
        var call: CallKey
        var token: Int64
        var remaining: Set<String>
        var exclusive: Bool
        var failed = false
    }

    /// A call's unfinished events in order, those that run alone among them, and its keys.
    private struct CallOrder {
        var unfinished: [EventID] = []
        var exclusive: [EventID] = []
        var keys: Set<Key> = []

        var isEmpty: Bool { unfinished.isEmpty }
    }

    private var queues: [Key: Deque<Job>] = [:]
    /// Keys with a job running or waiting for its retry.
    private var busy: Set<Key> = []
    /// Per folder, keys whose head job may start (checked again when taken).
    private var ready: [String: Deque<Key>] = [:]
    private var events: [EventID: Progress] = [:]
    private var calls: [CallKey: CallOrder] = [:]

    /// Events added and not finished.
    var count: Int { events.count }

    func contains(_ id: EventID) -> Bool { events[id] != nil }

    /// Adds an event's runs: each script with the attempt it starts at. An `exclusive` event runs alone in its
    /// call: after every earlier event of the call finished, before any later one starts (a timer's run). An
    /// event with no script to run is finished at once (returned).
    mutating func add(_ id: EventID, call: CallKey, token: Int64, folder: String, scripts: [(script: String, attempt: Int)],
                      exclusive: Bool = false) -> Finished? {
        guard events[id] == nil else { return nil }
        guard !scripts.isEmpty else { return Finished(eventID: id, call: call, token: token, failed: false) }
        events[id] = Progress(call: call, token: token, remaining: Set(scripts.map(\.script)), exclusive: exclusive)
        var order = calls.removeValue(forKey: call) ?? CallOrder()
        order.unfinished.insertSorted(id)
        if exclusive { order.exclusive.insertSorted(id) }
        for (script, attempt) in scripts {
            let key = Key(folder: folder, call: call, script: script)
            order.keys.insert(key)
            let job = Job(eventID: id, key: key, attempt: attempt, token: token)
            let isBusy = busy.contains(key)
            var queue = queues.removeValue(forKey: key) ?? []
            // in event order, never before the head while it runs
            var position = queue.count
            while position > (isBusy ? 1 : 0), queue[position - 1].eventID > id { position -= 1 }
            queue.insert(job, at: position)
            queues[key] = queue
            if !isBusy && position == 0 { ready[folder, default: []].append(key) }
        }
        calls[call] = order
        return nil
    }

    /// The next job of `folder` that may start; its key is busy until `finish`.
    mutating func next(in folder: String) -> Job? {
        while let key = ready[folder]?.popFirst() {
            guard !busy.contains(key), let job = queues[key]?.first, mayStart(job) else { continue }
            busy.insert(key)
            return job
        }
        return nil
    }

    /// Ends a job. With `continuing`, the key's next job (if it may start now) is returned for the same worker
    /// and the key stays busy; otherwise the key is ready for any worker.
    mutating func finish(_ job: Job, _ outcome: Outcome, continuing: Bool) -> (finished: Finished?, following: Job?) {
        if outcome == .retrying {
            queues[job.key]?[0].attempt += 1
            return (nil, nil)
        }
        var queue = queues.removeValue(forKey: job.key) ?? []
        if queue.first?.eventID == job.eventID && queue.first?.token == job.token { queue.removeFirst() }
        if !queue.isEmpty { queues[job.key] = queue }
        var finished: Finished?
        if var progress = events[job.eventID], progress.token == job.token {
            progress.remaining.remove(job.key.script)
            if outcome == .dead { progress.failed = true }
            if progress.remaining.isEmpty {
                events[job.eventID] = nil
                finished = Finished(eventID: job.eventID, call: progress.call, token: progress.token, failed: progress.failed)
                forget([job.eventID], of: progress.call)
            } else {
                events[job.eventID] = progress
            }
        }
        // the key's next job continues here (the key stays busy) when it may start now; else anyone may take it
        if continuing, let head = queue.first, mayStart(head) { return (finished, head) }
        release(job.key)
        return (finished, nil)
    }

    /// A retrying key's wait is over: its head job may start again.
    mutating func retryDue(_ key: Key) {
        guard busy.contains(key) else { return }
        release(key)
    }

    /// Forgets every event of `call` taken under `token` or before (the call was given up or taken over).
    /// Jobs already running finish, but count for nothing.
    mutating func drop(_ call: CallKey, upTo token: Int64) {
        let dropped = events.filter { $0.value.call == call && $0.value.token <= token }.map(\.key)
        guard !dropped.isEmpty else { return }
        for id in dropped { events[id] = nil }
        let gone = Set(dropped)
        for (key, queue) in queues where key.call == call {
            // a running head stays until it finishes; waiting jobs of dropped events go now
            let running = busy.contains(key) ? 1 : 0
            let kept = Deque(queue.prefix(running) + queue.dropFirst(running).filter { !gone.contains($0.eventID) })
            queues[key] = kept.isEmpty ? nil : kept
        }
        forget(dropped, of: call)
    }

    /// Whether a job's place in its call lets it start: no earlier event that runs alone is unfinished, and,
    /// for one that runs alone, no earlier event at all and no other run of the call under way.
    private func mayStart(_ job: Job) -> Bool {
        guard let order = calls[job.key.call] else { return true }
        if let first = order.exclusive.first, first < job.eventID { return false }
        guard events[job.eventID]?.exclusive == true else { return true }
        if let first = order.unfinished.first, first < job.eventID { return false }
        return order.keys.allSatisfy { $0 == job.key || !busy.contains($0) }
    }

    /// Removes finished or dropped events from their call's order; when that may let a job start, its keys are
    /// ready again.
    private mutating func forget(_ ids: [EventID], of call: CallKey) {
        guard var order = calls.removeValue(forKey: call) else { return }
        let hadExclusive = !order.exclusive.isEmpty
        let gone = Set(ids)
        order.unfinished.removeAll { gone.contains($0) }
        order.exclusive.removeAll { gone.contains($0) }
        if hadExclusive {
            for key in order.keys where !busy.contains(key) && queues[key] != nil { ready[key.folder, default: []].append(key) }
        }
        if order.isEmpty { return }
        order.keys = order.keys.filter { queues[$0] != nil || busy.contains($0) }
        calls[call] = order
    }

    private mutating func release(_ key: Key) {
        busy.remove(key)
        if queues[key] != nil { ready[key.folder, default: []].append(key) }
    }
}

extension Array where Element == EventID {
    /// Inserts keeping the array in ascending order (new events mostly come last).
    mutating func insertSorted(_ id: EventID) {
        var position = count
        while position > 0, self[position - 1] > id { position -= 1 }
        insert(id, at: position)
    }
}
