import EventDispatch
import Journal
import Observability

/// What the console reads: the journal (events, runs, replays), the scripts as the dispatcher has them loaded,
/// and this process's counters.
///
/// ```swift
/// let sources = ConsoleSources(journal: journal, scriptSets: { dispatcher.scriptSets }, telemetry: telemetry)
/// ```
public struct ConsoleSources: Sendable {
    public let journal: any Journal
    public let scriptSets: @Sendable () -> [ScriptSet]
    public let telemetry: Telemetry

    public init(journal: any Journal, scriptSets: @escaping @Sendable () -> [ScriptSet], telemetry: Telemetry) {
        self.journal = journal
        self.scriptSets = scriptSets
        self.telemetry = telemetry
    }
}
