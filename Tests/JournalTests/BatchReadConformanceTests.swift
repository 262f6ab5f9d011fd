import Journal
import TestSupport
import Testing

/// `events(_ ids:)`, what `hookline shadow` reads events with: the same details as `event(_:)` one by one, in the
/// order asked, without the ids that hold no event.
@Suite struct BatchReadConformanceTests {
    typealias C = JournalConformanceTests

    @Test(arguments: Backend.all) func manyEventsReadAtOnceAreThoseReadOneByOne(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(C.nodeA, lease: C.lease)
            var ids: [EventID] = []
            for n in 0..<5 {
                let stored = try await C.stored(journal, C.event("CA\(n % 2)", "k\(n)"))
                ids.append(stored.id)
                _ = try await journal.record([CallRecords(claim: try #require(stored.claim),
                                                          runs: [C.run(stored.id, "a.lua", .failed), C.run(stored.id, "a.lua", .ok, attempt: 2)])],
                                             for: C.nodeA)
            }
            let asked = [ids[3], EventID(ids[4].rawValue + 1_000), ids[0], ids[4]]
            let many = try await journal.events(asked)
            #expect(many.map(\.summary.id) == [ids[3], ids[0], ids[4]])
            for detail in many {
                let one = try #require(try await journal.event(detail.summary.id))
                #expect(detail.body == one.body && detail.requestID == one.requestID && detail.dedupKey == one.dedupKey)
                #expect(detail.runs.map(\.attempt) == [1, 2] && detail.runs.map(\.outcome) == one.runs.map(\.outcome))
                #expect(detail.runs.map(\.effects) == one.runs.map(\.effects) && detail.runs.allSatisfy { $0.eventID == detail.summary.id })
            }
        }
    }
}
