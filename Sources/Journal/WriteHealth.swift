import Synchronization

/// Whether the journal can write, from what its writes did: the outcome of the latest commit of rows and of
/// the latest write of bodies (a full disk can take bodies while rows still fit, or the other way round),
/// and a probe, at most once a second, when either is older than a second. `/healthz` may ask at any rate:
/// it used to write for every check (6,912 checks in 2.5 s doubled the median delivery latency), and its
/// small write still fitted on a disk that refused every delivery.
///
/// ```swift
/// switch health.assess() {
/// case .known(let failure): return failure == nil
/// case .probe(let bodyBytes): return await probe(bodyBytes)  // the writer records its outcome
/// }
/// ```
final class WriteHealth: Sendable {
    static let freshness = Duration.seconds(1)

    /// What the journal writes, each with an outcome of its own.
    enum Part {
        case rows, bodies
    }

    enum Assessment: Equatable {
        /// The latest writes say it: nil when both succeeded, else why the last one failed.
        case known(failure: String?)
        /// A probe is due: write this many body bytes (what last failed, or one block) and a row.
        case probe(bodyBytes: Int)
    }

    private struct Outcome {
        var failure: String?
        var at: ContinuousClock.Instant
        /// The body bytes of a failed write: a probe must fit as much to say the disk has room again.
        var bytes: Int
    }

    private struct State {
        var rows: Outcome?
        var bodies: Outcome?
        var probeStarted: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    /// Called by the writer after each commit (`rows`) and each write of bodies (`bodies`).
    func record(_ part: Part, failure: String?, bytes: Int = 0, at now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            let outcome = Outcome(failure: failure, at: now, bytes: bytes)
            switch part {
            case .rows: state.rows = outcome
            case .bodies: state.bodies = outcome
            }
        }
    }

    func assess(at now: ContinuousClock.Instant = .now) -> Assessment {
        state.withLock { state in
            let parts = [state.rows, state.bodies]
            let stale = parts.contains { $0.map { now - $0.at >= Self.freshness } ?? true }
            if stale, state.probeStarted.map({ now - $0 >= Self.freshness }) ?? true {
                state.probeStarted = now
                let failed = state.bodies?.failure == nil ? 0 : state.bodies!.bytes
                return .probe(bodyBytes: max(failed, 1))
            }
            return .known(failure: parts.compactMap { $0?.failure }.first)
        }
    }
}
