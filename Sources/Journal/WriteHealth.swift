import Synchronization

/// Whether the journal can write, from what its writes did: the outcome of the latest commit of rows and of
/// the latest write of bodies (a full disk can take bodies while rows still fit, or the other way round),
/// and a probe, at most once a second, when either is older than a second. `/healthz` may ask at any rate
/// and never waits for the disk: it used to write for every check (6,912 checks in 2.5 s doubled the median
/// delivery latency), waited behind every batch in the queue, and its small write still fitted on a disk
/// that refused every delivery.
///
/// ```swift
/// let assessment = health.assess()
/// if let bytes = assessment.probe { Task { await writer.probe(bodyBytes: bytes) } }  // recorded when done
/// return assessment.failure == nil
/// ```
final class WriteHealth: Sendable {
    static let freshness = Duration.seconds(1)

    /// What the journal writes, each with an outcome of its own.
    enum Part {
        case rows, bodies
    }

    struct Assessment: Equatable {
        /// What the latest writes say: nil when both succeeded (or nothing was written yet), else why the
        /// last one failed.
        var failure: String?
        /// When a probe is due: the body bytes to write with its row (what last failed, or one block).
        var probe: Int?
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
            var assessment = Assessment(failure: parts.compactMap { $0?.failure }.first)
            let stale = parts.contains { $0.map { now - $0.at >= Self.freshness } ?? true }
            if stale, state.probeStarted.map({ now - $0 >= Self.freshness }) ?? true {
                state.probeStarted = now
                assessment.probe = max(state.bodies?.failure == nil ? 0 : state.bodies!.bytes, 1)
            }
            return assessment
        }
    }
}
