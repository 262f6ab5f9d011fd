import LuaShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A serial executor with a thread of its own, one per engine.
///
/// Lua code runs synchronously until it finishes, waits for a host call or hits its deadline, which can be
/// seconds away. Running it on the shared cooperative pool would let two spinning scripts stall every
/// other task of the process (HTTP handlers, the journal); on its own thread it stalls only its state.
///
/// It is also a task executor: a task that prefers it (`Task(executorPreference: engine.executor)`) calls
/// the engine without any thread hop, which is how a worker feeding one engine should run.
final class LuaThread: SerialExecutor, TaskExecutor, @unchecked Sendable {
    // The queue is guarded by `mutex`; `condition` wakes the thread when work arrives.
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var jobs: [UnownedJob] = []
    private var idle = false
    private var stopping = false

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()  // released when the loop ends
        let created = pthread_create(&thread, nil, { context in
            let executor = Unmanaged<LuaThread>.fromOpaque(context!).takeRetainedValue()
            lshim_name_thread("hl-lua")
            executor.loop()
            return nil
        }, context)
        precondition(created == 0, "cannot start a Lua thread: \(created)")
        pthread_detach(thread)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(&mutex)
        jobs.append(job)
        if idle { pthread_cond_signal(&condition) }
        pthread_mutex_unlock(&mutex)
    }

    /// Lets the thread end once its queue is empty.
    func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    private func loop() {
        var batch: [UnownedJob] = []
        while true {
            pthread_mutex_lock(&mutex)
            while jobs.isEmpty {
                if stopping {
                    pthread_mutex_unlock(&mutex)
                    return
                }
                idle = true
                pthread_cond_wait(&condition, &mutex)
                idle = false
            }
            swap(&batch, &jobs)
            pthread_mutex_unlock(&mutex)
            for job in batch {
                job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
