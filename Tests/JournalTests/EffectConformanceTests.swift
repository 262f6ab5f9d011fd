import Foundation
import Journal
import TestSupport
import Testing

/// What every journal backend does with runs' effect records: kept whole up to their bound, handed to the
/// retry of a failed attempt, and to the runs of a replay that reuses effects.
@Suite struct EffectConformanceTests {
    typealias C = JournalConformanceTests

    @Test(arguments: Backend.all) func aRecordOverItsBoundIsKeptTruncated(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(C.nodeA, lease: C.lease)
            let stored = try await C.stored(journal, C.event("CA1", "k1"))
            var effects = EffectRecord()
            let chunk = String(repeating: "x", count: 20_000)   // 20 KB of text a call: 13 fit in 256 KiB
            for n in 0..<20 {
                effects.append(EffectEntry(call: "file.append", arguments: [EffectField("path", .text("f\(n)")),
                                                                            EffectField("data", .object([EffectField("text", .text(chunk))]))],
                                           result: .bool(true), replayable: true))
            }
            #expect(effects.truncated && effects.entries.count == 13 && effects.count == 20, "\(effects.entries.count) kept")
            var run = C.run(stored.id, "a.lua", .failed)
            run.effects = effects
            _ = try await journal.record([CallRecords(claim: try #require(stored.claim), runs: [run])], for: C.nodeA)
            let kept = try #require(try await journal.event(stored.id)?.runs.first?.effects)
            let same = kept == effects   // (not in the expectation: it would print 256 KiB)
            #expect(same, "\(kept.entries.count) kept, \(kept.dropped) dropped")
            #expect(kept.lines.last == "... 7 more calls not kept (a run's record is kept to 256 KiB)")
        }
    }

    @Test(arguments: Backend.all) func aReplayReusingEffectsHandsEachScriptItsLastRun(_ backend: Backend) async throws {
        try await withJournals(backend) { (journals: Journals) async throws in
            let journal = journals.first
            try await journal.heartbeat(C.nodeA, lease: C.lease)
            let e1 = try await C.stored(journal, C.event("CA1", "k1"))
            var other = C.run(e1.id, "b.lua", .ok)
            other.effects = EffectRecord(entries: [EffectEntry(call: "time.now", arguments: [], result: .integer(7), replayable: true)])
            _ = try await journal.record([CallRecords(claim: try #require(e1.claim),
                                                      runs: [C.run(e1.id, "a.lua", .failed), C.run(e1.id, "a.lua", .ok, attempt: 2), other],
                                                      completions: [C.done(e1.id)], releaseAt: e1.version)], for: C.nodeA)

            #expect(try await journal.requeue([e1.id], reuseEffects: true) == 1)
            var claims = try await journal.claimWaitingCalls(for: C.nodeA, limit: 10)
            var work = try #require(try await journal.pendingWork(of: claims[0], for: C.nodeA, after: nil, limit: 10))
            #expect(work.items[0].progress == RunProgress(effects: ["a.lua": C.effects, "b.lua": other.effects]))

            // once a script ran in the new generation, its own attempts count
            _ = try await journal.record([CallRecords(claim: claims[0], runs: [C.run(e1.id, "b.lua", .ok, generation: 1)])],
                                         for: C.nodeA)
            work = try #require(try await journal.pendingWork(of: claims[0], for: C.nodeA, after: nil, limit: 10))
            #expect(work.items[0].progress == RunProgress(finished: ["b.lua"], effects: ["a.lua": C.effects]))

            _ = try await journal.record([CallRecords(claim: claims[0], completions: [C.done(e1.id, generation: 1)],
                                                      releaseAt: work.version)], for: C.nodeA)
            #expect(try await journal.requeue([e1.id]) == 1)
            claims = try await journal.claimWaitingCalls(for: C.nodeA, limit: 10)
            work = try #require(try await journal.pendingWork(of: claims[0], for: C.nodeA, after: nil, limit: 10))
            #expect(work.items[0].progress == RunProgress(), "a plain replay performs everything again")
        }
    }
}
