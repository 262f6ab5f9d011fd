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
        var failed = false
    }

    private var queues: [Key: Deque<Job>] = [:]
    /// Keys with a job running or waiting for its retry.
    private var busy: Set<Key> = []
    /// Per folder, keys whose head job may start.
    private var ready: [String: Deque<Key>] = [:]
    private var events: [EventID: Progress] = [:]

    /// Events added and not finished.
    var count: Int { events.count }

    func contains(_ id: EventID) -> Bool { events[id] != nil }

    /// Adds an event's runs: each script with the attempt it starts at. An event with no script to run is
    /// finished at once (returned).
    mutating func add(_ id: EventID, call: CallKey, token: Int64, folder: String,
                      scripts: [(script: String, attempt: Int)]) -> Finished? {
        guard events[id] == nil else { return nil }
        guard !scripts.isEmpty else { return Finished(eventID: id, call: call, token: token, failed: false) }
        events[id] = Progress(call: call, token: token, remaining: Set(scripts.map(\.script)))
        for (script, attempt) in scripts {
            let key = Key(folder: folder, call: call, script: script)
            let job = Job(eventID: id, key: key, attempt: attempt, token: token)
            let isBusy = busy.contains(key)
            var queue = queues.removeValue(forKey: key) ?? []
            // in event order, never before the head while it runs
            var position = queue.count
            while position > (isBusy ? 1 : 0), queue[position - 1].eventID > id { position -= 1 }
            queue.insert(job, at: position)
            queues[key] = queue
            if !isBusy && queue.count == 1 { ready[folder, default: []].append(key) }
        }
        return nil
    }

    /// The next job of `folder` that may start; its key is busy until `finish`.
    mutating func next(in folder: String) -> Job? {
        while let key = ready[folder]?.popFirst() {
            guard !busy.contains(key), let job = queues[key]?.first else { continue }
            busy.insert(key)
            return job
        }
        return nil
    }

    /// Ends a job. With `continuing`, the key's next job (if any) is returned for the same worker and the key
    /// stays busy; otherwise the key is ready for any worker.
    mutating func finish(_ job: Job, _ outcome: Outcome, continuing: Bool) -> (finished: Finished?, following: Job?) {
        if outcome == .retrying {
            queues[job.key]?[0].attempt += 1
            return (nil, nil)
        }
        var queue = queues.removeValue(forKey: job.key) ?? []
        if queue.first?.eventID == job.eventID && queue.first?.token == job.token { queue.removeFirst() }
        var following: Job?
        if queue.isEmpty {
            busy.remove(job.key)
        } else {
            queues[job.key] = queue
            if continuing { following = queue.first } else { release(job.key) }  // `following` keeps the key busy
        }
        guard var progress = events[job.eventID], progress.token == job.token else { return (nil, following) }
        progress.remaining.remove(job.key.script)
        if outcome == .dead { progress.failed = true }
        guard progress.remaining.isEmpty else {
            events[job.eventID] = progress
            return (nil, following)
        }
        events[job.eventID] = nil
        return (Finished(eventID: job.eventID, call: progress.call, token: progress.token, failed: progress.failed), following)
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
    }

    private mutating func release(_ key: Key) {
        busy.remove(key)
        if queues[key] != nil { ready[key.folder, default: []].append(key) }
    }
}
