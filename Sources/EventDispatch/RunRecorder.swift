import Journal
import Logging
import Synchronization

/// Collects finished run attempts and completed events, and writes them to the journal in batches (one
/// group commit for many runs). A failed write is kept and tried again: records are never dropped.
final class RunRecorder: Sendable {
    private struct Buffer {
        var runs: [RunRecord] = []
        var completions: [EventCompletion] = []
        var waiter: CheckedContinuation<Void, Never>?
        var stopping = false
    }

    private let journal: any Journal
    private let logger: Logger
    private let buffer = Mutex(Buffer())

    init(journal: any Journal, logger: Logger) {
        self.journal = journal
        self.logger = logger
    }

    func add(_ run: RunRecord?, completion: EventCompletion?) {
        let waiter: CheckedContinuation<Void, Never>? = buffer.withLock { buffer in
            if let run { buffer.runs.append(run) }
            if let completion { buffer.completions.append(completion) }
            defer { buffer.waiter = nil }
            return buffer.waiter
        }
        waiter?.resume()
    }

    /// Writes batches until `stop()`, then writes what is left; tells `recorded` which events' completions
    /// each batch wrote.
    func run(recorded: @Sendable ([EventID]) -> Void) async {
        while true {
            let (runs, completions, stopping) = await next()
            if !runs.isEmpty || !completions.isEmpty {
                await write(runs, completions)
                recorded(completions.map(\.eventID))
            }
            if stopping { return }
        }
    }

    func stop() {
        let waiter = buffer.withLock { buffer in
            buffer.stopping = true
            defer { buffer.waiter = nil }
            return buffer.waiter
        }
        waiter?.resume()
    }

    private func next() async -> ([RunRecord], [EventCompletion], Bool) {
        while true {
            let taken: ([RunRecord], [EventCompletion], Bool)? = buffer.withLock { buffer in
                guard !buffer.runs.isEmpty || !buffer.completions.isEmpty || buffer.stopping else { return nil }
                // everything at once: an event's completion is never written before its runs
                defer {
                    buffer.runs.removeAll(keepingCapacity: true)
                    buffer.completions.removeAll(keepingCapacity: true)
                }
                return (buffer.runs, buffer.completions, buffer.stopping)
            }
            if let taken { return taken }
            await withCheckedContinuation { continuation in
                let resumeNow = buffer.withLock { buffer in
                    if !buffer.runs.isEmpty || !buffer.completions.isEmpty || buffer.stopping { return true }
                    buffer.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private func write(_ runs: [RunRecord], _ completions: [EventCompletion]) async {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                try await journal.record(runs: runs, completions: completions)
                return
            } catch {
                logger.critical("cannot record script runs in the journal; retrying (events stay pending and are not lost)",
                                metadata: ["error": "\(error)", "runs": "\(runs.count)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        }
    }
}
