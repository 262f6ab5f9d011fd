import Foundation
import Journal
import PostgresJournal
import TestSupport
import Testing

/// A journal backend under test: each test gets empty journals of its own, one per node, on the same data
/// (the same object for SQLite, whose claims live in one process; separate clients for PostgreSQL).
struct Backend: Sendable, CustomTestStringConvertible {
    let name: String
    let open: @Sendable () async throws -> Journals

    var testDescription: String { name }

    static let all: [Backend] = [.sqlite, .postgres]

    static let sqlite = Backend(name: "SQLite") {
        let scratch = Scratch()
        let journal = try SQLiteJournal(directory: scratch.path)
        return Journals(first: journal, second: journal) {
            await journal.close()
            _ = scratch  // the folder goes with the journals
        }
    }

    /// A fresh database per test on the test server (see `TestDatabase`), dropped at the end; two journals on it,
    /// each with a pool of its own, as two nodes would have.
    static let postgres = Backend(name: "PostgreSQL") {
        let configuration = try await TestDatabase.create()
        var opened: [PostgresJournal] = []
        do {
            opened.append(try await PostgresJournal(configuration))
            opened.append(try await PostgresJournal(configuration))
        } catch {
            for journal in opened { await journal.close() }
            await TestDatabase.drop(configuration)
            throw error
        }
        let (first, second) = (opened[0], opened[1])
        return Journals(first: first, second: second) {
            await first.close()
            await second.close()
            await TestDatabase.drop(configuration)
        }
    }
}

/// The journals of one test: `first` and `second` serve two nodes on the same data.
struct Journals: Sendable {
    let first: any Journal
    let second: any Journal
    let close: @Sendable () async -> Void
}

/// Opens the backend's journals, runs `body`, and closes them whatever happens.
func withJournals(_ backend: Backend, _ body: (Journals) async throws -> Void) async throws {
    let journals = try await backend.open()
    do {
        try await body(journals)
    } catch {
        await journals.close()
        throw error
    }
    await journals.close()
}

