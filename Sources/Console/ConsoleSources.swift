import EventDispatch
import Journal
import Observability

/// What the console reads: the journal (events, runs, replays), the scripts as the dispatcher has them loaded,
/// and this process's counters.
///
/// ```swift
/// let sources = ConsoleSources(journal: journal, scriptSets: { dispatcher.scriptSets }, telemetry: telemetry,
///                              node: node.incarnation)
/// ```
package struct ConsoleSources: Sendable {
    package let journal: any Journal
    package let scriptSets: @Sendable () -> [ScriptSet]
    package let telemetry: Telemetry
    /// This process's incarnation as a node of the journal (how the journal's nodes table knows it).
    package let node: String

    package init(journal: any Journal, scriptSets: @escaping @Sendable () -> [ScriptSet], telemetry: Telemetry, node: String) {
        self.journal = journal
        self.scriptSets = scriptSets
        self.telemetry = telemetry
        self.node = node
    }
}
