import JSON
import Journal

/// The calls this node holds and what it knows of each: when to read a call's work from the journal, which
/// events to hand to the scheduler, when to give a call up. The work feed's decisions, without I/O: the
/// dispatcher feeds it what happened and carries out the `Step`s it returns.
///
/// A call's work is known up to a *version* (see `CallWork.version`). An event stored by this node that
/// continues the version it knows is taken as it is; anything else (an event stored by another node, a
/// replay, a call taken over with work left) is read from the journal. An idle call is given up in the same
/// commit as its last completion, unless work was added meanwhile.
///
/// ```swift
/// var book = CallBook(window: 1024, page: 256)
/// let step = book.stored(event, document: document, as: stored)   // from intake, on the journal thread
/// for event in step.admit { scheduler.add(...) }
/// for (claim, after, limit) in step.loads { read(queue.pendingWork(of: claim, for: node, after: after, limit: limit)) }
/// ```
struct CallBook {
    /// An event to hand to the scheduler.
    struct Admission {
        var event: PendingEvent
        /// The parsed body of an event this node stored; else `body`, as read from the journal.
        var document: JSONDocument?
        var body: [UInt8]?
        var progress: RunProgress
        var claim: CallClaim
    }

    /// A journal read to make: pending work of a claimed call.
    struct Load: Equatable {
        var claim: CallClaim
        var after: EventID?
        var limit: Int
    }

    struct Step {
        var admit: [Admission] = []
        var loads: [Load] = []
        /// Calls given up or taken over: the scheduler forgets their events (up to the token).
        var drops: [CallClaim] = []

        mutating func append(_ other: Step) {
            admit += other.admit
            loads += other.loads
            drops += other.drops
        }
    }

    private struct Hint {
        var event: PendingEvent
        var document: JSONDocument
        var version: Int64
    }

    private enum Start: Equatable {
        case first
        case after(EventID)
    }

    private struct Held {
        var claim: CallClaim
        /// Every change to the call's work up to this version is in memory, done, or on a page still to read.
        var version: Int64
        /// When the book took the call (its mutation count then): a poll read before cannot say it is lost.
        var since: Int
        var inMemory: Set<EventID> = []
        /// Completed; their record is not confirmed yet, so the journal still shows them pending.
        var finishing: Set<EventID> = []
        /// Confirmed while a read was in flight: that read may still show them pending.
        var confirmedDuringRead: Set<EventID> = []
        var loading = false
        /// A read is due: the whole call, or the page after an id.
        var due: Start?
        /// Events stored by this node while a read was due or running.
        var stash: [Hint] = []
        var releaseAsked: Int64?

        var isIdle: Bool { inMemory.isEmpty && !loading && due == nil && stash.isEmpty }

        /// Whether the event is in memory or finished lately: not to be run again from a read.
        func knows(_ id: EventID) -> Bool {
            inMemory.contains(id) || finishing.contains(id) || confirmedDuringRead.contains(id)
        }
    }

    let window: Int
    let page: Int
    private var held: [CallKey: Held] = [:]
    private var inMemory = 0
    /// Room promised to reads in flight (their limits).
    private var reserved = 0
    /// Counts the book's changes, so that a poll can tell which calls it saw.
    private(set) var mutations = 0

    init(window: Int, page: Int) {
        self.window = window
        self.page = page
    }

    /// Events in memory (handed to the scheduler and not completed).
    var eventsInMemory: Int { inMemory }
    var room: Int { max(0, window - inMemory - reserved) }
    var calls: Int { held.count }
    var claims: [CallClaim] { held.values.map(\.claim) }

    // MARK: what happened

    /// An event this node stored; `stored` says whether it holds the call now.
    mutating func stored(_ event: PendingEvent, document: JSONDocument, as stored: StoredEvent) -> Step {
        mutations += 1
        guard let claim = stored.claim else { return Step() }
        var step = Step()
        if let current = held[claim.call], current.claim.token != claim.token {
            held[claim.call] = nil  // given up or lost since; this is a new claim
            forget(current)
            step.drops.append(current.claim)
        }
        let hint = Hint(event: event, document: document, version: stored.version)
        guard var call = held[claim.call] else {
            var call = Held(claim: claim, version: stored.version, since: mutations)
            if stored.inheritedWork {
                call.version = 0
                call.stash = [hint]
                call.due = .first
            } else {
                admit(hint, into: &call, step: &step)
            }
            held[claim.call] = call
            step.append(loadsDue())
            return step
        }
        if !call.loading && call.due == nil && stored.version == call.version + 1 {
            call.version = stored.version
            admit(hint, into: &call, step: &step)
        } else {
            call.stash.append(hint)
            if call.due == nil && !call.loading { call.due = .first }
        }
        held[claim.call] = call
        step.append(loadsDue())
        return step
    }

    /// Calls this node claimed from the journal's waiting work.
    mutating func claimed(_ claims: [CallClaim]) -> Step {
        mutations += 1
        var step = Step()
        for claim in claims {
            if let current = held[claim.call] {
                guard current.claim.token < claim.token else { continue }
                held[claim.call] = nil
                forget(current)
                step.drops.append(current.claim)
            }
            held[claim.call] = Held(claim: claim, version: 0, since: mutations, due: .first)
        }
        step.append(loadsDue())
        return step
    }

    /// A read of a call's work came back (nil: the claim is no longer this node's).
    mutating func loaded(_ load: Load, _ work: CallWork?) -> Step {
        mutations += 1
        reserved -= load.limit
        guard var call = held[load.claim.call], call.claim == load.claim else { return loadsDue() }
        var step = Step()
        guard let work else {
            held[load.claim.call] = nil
            forget(call)
            step.drops.append(call.claim)
            return step
        }
        call.loading = false
        for item in work.items where !call.knows(item.event.id) {
            call.inMemory.insert(item.event.id)
            inMemory += 1
            step.admit.append(Admission(event: item.event, document: nil, body: item.body, progress: item.progress,
                                        claim: call.claim))
        }
        call.version = max(call.version, work.version)
        let morePages = work.items.count == load.limit
        if morePages, call.due == nil, let last = work.items.last { call.due = .after(last.event.id) }
        for hint in call.stash.sorted(by: { $0.version < $1.version }) where hint.version > call.version {
            if hint.version == call.version + 1 {
                call.version = hint.version
                if !morePages { admit(hint, into: &call, step: &step) }  // else a later page has it
            } else {
                call.due = .first  // a change this node did not see: read the call again
            }
        }
        call.stash = []
        call.confirmedDuringRead = []  // a later read starts after their records were committed
        held[load.claim.call] = call
        step.append(loadsDue())
        return step
    }

    /// An event finished in the scheduler; the version to give its call up at, when the call is idle now.
    mutating func finished(_ id: EventID, of claim: CallClaim) -> (releaseAt: Int64?, step: Step) {
        mutations += 1
        guard var call = held[claim.call], call.claim == claim, call.inMemory.remove(id) != nil else { return (nil, Step()) }
        inMemory -= 1
        call.finishing.insert(id)
        var releaseAt: Int64?
        if call.isIdle {
            call.releaseAsked = call.version
            releaseAt = call.version
        }
        held[claim.call] = call
        return (releaseAt, loadsDue())
    }

    /// A batch of records of one call was written (or refused).
    mutating func written(_ written: RunRecorder.Written) -> Step {
        mutations += 1
        guard var call = held[written.claim.call], call.claim == written.claim else { return Step() }
        var step = Step()
        call.finishing.subtract(written.completed)
        if call.loading { call.confirmedDuringRead.formUnion(written.completed) }
        switch written.outcome {
        case .fenced:
            held[written.claim.call] = nil
            forget(call)
            step.drops.append(call.claim)
            return step
        case .recorded(released: true):
            held[written.claim.call] = nil
            forget(call)
            if !call.isIdle { step.drops.append(call.claim) }  // cannot happen: the journal saw no change since
            return step
        case .recorded(released: false):
            if let asked = written.releaseAsked, call.releaseAsked == asked {
                call.releaseAsked = nil
                if call.isIdle { call.due = .first }  // work was added meanwhile: read it
            }
        }
        held[written.claim.call] = call
        step.append(loadsDue())
        return step
    }

    /// A read failed (the journal could not answer): it is due again.
    mutating func loadFailed(_ load: Load) -> Step {
        mutations += 1
        reserved -= load.limit
        guard var call = held[load.claim.call], call.claim == load.claim else { return loadsDue() }
        call.loading = false
        if call.due == nil { call.due = load.after.map(Start.after) ?? .first }
        held[load.claim.call] = call
        return loadsDue()
    }

    /// The journal says the call changed (a signal): read it again.
    mutating func changed(_ key: CallKey) -> Step {
        mutations += 1
        guard var call = held[key] else { return Step() }
        call.due = .first  // after the read in flight, if there is one
        held[key] = call
        return loadsDue()
    }

    /// What a poll of the journal found this node holding (read after `mutations` was `seen`): calls it
    /// holds with a higher version are read again; calls it no longer holds are dropped; calls the journal
    /// gives it that it does not know (its append committed after it was answered as failed) are read.
    mutating func polled(_ found: [CallClaim: Int64], seen: Int) -> Step {
        mutations += 1
        var step = Step()
        for claim in found.keys where held[claim.call] == nil {
            held[claim.call] = Held(claim: claim, version: 0, since: mutations, due: .first)
        }
        for (key, var call) in held where call.since <= seen {
            guard let version = found[call.claim] else {
                held[key] = nil
                forget(call)
                step.drops.append(call.claim)
                continue
            }
            if version > call.version && call.due == nil {
                call.due = .first
                held[key] = call
            }
        }
        step.append(loadsDue())
        return step
    }

    // MARK: helpers

    private mutating func admit(_ hint: Hint, into call: inout Held, step: inout Step) {
        guard !call.knows(hint.event.id) else { return }
        call.inMemory.insert(hint.event.id)
        inMemory += 1
        step.admit.append(Admission(event: hint.event, document: hint.document, body: nil, progress: RunProgress(),
                                    claim: call.claim))
    }

    private mutating func forget(_ call: Held) {
        inMemory -= call.inMemory.count
    }

    /// Reads that are due and fit the window: each call's, one at a time.
    private mutating func loadsDue() -> Step {
        var loads: [Load] = []
        var room = self.room
        guard room > 0 else { return Step() }
        for (key, var call) in held where !call.loading && call.due != nil {
            guard room > 0 else { break }
            let limit = min(page, room)
            let after: EventID? = if case .after(let id) = call.due { id } else { nil }
            call.loading = true
            call.due = nil
            held[key] = call
            loads.append(Load(claim: call.claim, after: after, limit: limit))
            room -= limit
            reserved += limit
        }
        return Step(loads: loads)
    }
}
