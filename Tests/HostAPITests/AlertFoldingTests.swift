import Basics
import HostAPI
import Journal
import Logging
import Testing
import TestSupport

/// Alerts with one key fold into the last delivered one within the window, in memory and in the journal.
@Suite struct AlertFoldingTests {
    static let window = Duration.seconds(600)

    static func foldsWithinTheWindow(_ folding: any AlertFolding) async {
        let start: Int64 = 1_778_771_300_000
        #expect(await folding.admit(key: "hang:CA1", now: start) == 0, "the first alert is delivered")
        #expect(await folding.admit(key: "hang:CA1", now: start + 1_000) == nil, "folded")
        #expect(await folding.admit(key: "hang:CA1", now: start + 2_000) == nil, "folded")
        #expect(await folding.admit(key: "hang:CA2", now: start + 2_000) == 0, "another key is its own")
        #expect(await folding.admit(key: "hang:CA1", now: start + window.wholeMilliseconds) == 2,
                "the next one after the window carries how many were folded")
        #expect(await folding.admit(key: "hang:CA1", now: start + window.wholeMilliseconds + 1) == nil)
    }

    @Test func inMemory() async {
        await Self.foldsWithinTheWindow(MemoryAlertFolding(window: Self.window))
    }

    @Test func inTheJournalAndSharedByEveryoneOnIt() async throws {
        let scratch = Scratch()
        let journal = try SQLiteJournal(directory: scratch.path)
        let logger = Logger(label: "test")
        await Self.foldsWithinTheWindow(JournalAlertFolding(store: journal, window: Self.window, logger: logger))
        let first = JournalAlertFolding(store: journal, window: Self.window, logger: logger)
        let second = JournalAlertFolding(store: journal, window: Self.window, logger: logger)
        #expect(await first.admit(key: "shared", now: 1_000) == 0)
        #expect(await second.admit(key: "shared", now: 2_000) == nil, "a key delivered through one folds on the other")
        await journal.close()
    }
}
