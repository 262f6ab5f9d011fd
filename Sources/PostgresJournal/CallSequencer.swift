import Journal
import Synchronization

/// Runs the appends of one call one after another, in the order they were asked for.
///
/// Appends of one call commit one after another anyway (each locks the call's row); waiting here rather than
/// at the row lock makes their results come back in commit order (as `EventLog.append` promises), so that
/// dispatch continues each call's version without reading the journal. Appends of different calls run at once.
final class CallSequencer: Sendable {
    typealias Job = @Sendable () async -> Void

    /// The calls with an append under way, and the appends waiting behind it.
    private let waiting = Mutex<[CallKey: [Job]]>([:])

    func run(_ call: CallKey, _ job: @escaping Job) {
        let first = waiting.withLock { waiting in
            if waiting[call] != nil {
                waiting[call]!.append(job)
                return false
            }
            waiting[call] = []
            return true
        }
        guard first else { return }
        Task {
            var next: Job? = job
            while let current = next {
                await current()
                next = waiting.withLock { waiting in
                    guard let queue = waiting[call], let following = queue.first else {
                        waiting[call] = nil
                        return nil
                    }
                    waiting[call] = Array(queue.dropFirst())
                    return following
                }
            }
        }
    }
}
