import Foundation

/// Starts one of the journal's own threads under a name that `top -H`, `perf` and `ps -L` show.
/// (Foundation passes the name to the OS only when the thread names itself; at most 15 characters.)
func startJournalThread(named name: String, _ body: @escaping @Sendable () -> Void) {
    Thread {
        Thread.current.name = name
        body()
    }.start()
}
