@testable import EventDispatch
import JSON
import Journal
import Testing

/// The work feed's decisions, as a plain value: which events run straight from intake, when a call is read
/// from the journal, when it is given up.
@Suite struct CallBookTests {
    static let call = CallKey(endpoint: "default", callID: "CA1")
    static let claim = CallClaim(call: call, token: 7)
    static let document = try! JSONParser.parse(Array(#"{"message":{"type":"hang"}}"#.utf8))

    static func event(_ id: Int64, _ call: CallKey = call) -> PendingEvent {
        PendingEvent(id: EventID(id), receivedAt: 0, endpoint: call.endpoint, type: "hang", callID: call.callID, warnings: [],
                     generation: 0)
    }

    static func stored(_ book: inout CallBook, _ id: Int64, version: Int64, claim: CallClaim? = claim,
                       inherited: Bool = false) -> CallBook.Step {
        book.stored(event(id), document: document,
                    as: StoredEvent(id: EventID(id), claim: claim, version: version, inheritedWork: inherited))
    }

    static func work(_ ids: [Int64], version: Int64, claim: CallClaim = claim) -> CallWork {
        CallWork(claim: claim, version: version,
                 items: ids.map { WorkItem(event: event($0, claim.call), body: [1], progress: RunProgress()) })
    }

    static func ids(_ step: CallBook.Step) -> [Int64] { step.admit.map(\.event.id.rawValue) }

    @Test func eventsThatContinueTheKnownVersionRunWithoutARead() {
        var book = CallBook(window: 100, page: 10)
        let first = Self.stored(&book, 1, version: 1)
        #expect(Self.ids(first) == [1] && first.loads.isEmpty)
        #expect(first.admit[0].document != nil, "the parsed body comes along")
        let second = Self.stored(&book, 2, version: 2)
        #expect(Self.ids(second) == [2] && second.loads.isEmpty)
        #expect(book.eventsInMemory == 2)
    }

    @Test func anEventOfACallHeldElsewhereIsNotThisNodesWork() {
        var book = CallBook(window: 100, page: 10)
        let step = Self.stored(&book, 1, version: 5, claim: nil)
        #expect(step.admit.isEmpty && step.loads.isEmpty && book.calls == 0)
    }

    @Test func aGapInVersionsIsReadFromTheJournalAndEachEventRunsOnce() {
        var book = CallBook(window: 100, page: 10)
        _ = Self.stored(&book, 1, version: 1)
        let gap = Self.stored(&book, 4, version: 3)  // version 2 came from another node
        #expect(gap.admit.isEmpty)
        #expect(gap.loads == [CallBook.Load(claim: Self.claim, after: nil, limit: 10)])
        let whileReading = Self.stored(&book, 5, version: 4)
        #expect(whileReading.admit.isEmpty && whileReading.loads.isEmpty, "one read at a time per call")
        let loaded = book.loaded(gap.loads[0], Self.work([1, 3, 4], version: 3))
        #expect(Self.ids(loaded) == [3, 4, 5], "1 is already in memory; 5 continues the version read")
        #expect(loaded.admit[0].document == nil && loaded.admit[0].body == [1])
        #expect(book.eventsInMemory == 4, "1, 3, 4 and 5")
    }

    @Test func anInheritedCallIsReadBeforeItsNewEventRuns() {
        var book = CallBook(window: 100, page: 10)
        let step = Self.stored(&book, 9, version: 12, inherited: true)
        #expect(step.admit.isEmpty && step.loads.count == 1)
        let loaded = book.loaded(step.loads[0], Self.work([3, 9], version: 12))
        #expect(Self.ids(loaded) == [3, 9])
    }

    @Test func anIdleCallIsGivenUpAtTheVersionItKnows() {
        var book = CallBook(window: 100, page: 10)
        _ = Self.stored(&book, 1, version: 1)
        _ = Self.stored(&book, 2, version: 2)
        #expect(book.finished(EventID(1), of: Self.claim).releaseAt == nil, "event 2 still runs")
        #expect(book.finished(EventID(2), of: Self.claim).releaseAt == 2)
        _ = book.written(RunRecorder.Written(claim: Self.claim, outcome: .recorded(released: true), completed: [EventID(1), EventID(2)],
                                             releaseAsked: 2))
        #expect(book.calls == 0)
    }

    @Test func aReleaseRefusedForAChangeReadsTheCallAgain() {
        var book = CallBook(window: 100, page: 10)
        _ = Self.stored(&book, 1, version: 1)
        _ = book.finished(EventID(1), of: Self.claim)
        let step = book.written(RunRecorder.Written(claim: Self.claim, outcome: .recorded(released: false),
                                                    completed: [EventID(1)], releaseAsked: 1))
        #expect(step.loads == [CallBook.Load(claim: Self.claim, after: nil, limit: 10)])
        #expect(book.calls == 1)
    }

    @Test func aFencedCallIsDropped() {
        var book = CallBook(window: 100, page: 10)
        _ = Self.stored(&book, 1, version: 1)
        _ = Self.stored(&book, 2, version: 2)
        let step = book.written(RunRecorder.Written(claim: Self.claim, outcome: .fenced, completed: [], releaseAsked: nil))
        #expect(step.drops == [Self.claim])
        #expect(book.calls == 0 && book.eventsInMemory == 0)
    }

    @Test func anEventConfirmedDuringAReadIsNotRunAgainFromIt() {
        var book = CallBook(window: 100, page: 10)
        _ = Self.stored(&book, 1, version: 1)
        let read = Self.stored(&book, 3, version: 3)  // a gap: a read starts
        _ = book.finished(EventID(1), of: Self.claim)
        _ = book.written(RunRecorder.Written(claim: Self.claim, outcome: .recorded(released: false), completed: [EventID(1)],
                                             releaseAsked: nil))
        // the read began before 1's record was committed, so it still shows 1 pending
        let loaded = book.loaded(read.loads[0], Self.work([1, 2, 3], version: 3))
        #expect(Self.ids(loaded) == [2, 3])
    }

    @Test func largeCallsAreReadInPagesWithinTheWindow() {
        var book = CallBook(window: 5, page: 3)
        let claims = book.claimed([Self.claim])
        #expect(claims.loads == [CallBook.Load(claim: Self.claim, after: nil, limit: 3)])
        let page1 = book.loaded(claims.loads[0], Self.work([1, 2, 3], version: 40))
        #expect(Self.ids(page1) == [1, 2, 3])
        #expect(page1.loads == [CallBook.Load(claim: Self.claim, after: EventID(3), limit: 2)], "what fits the window")
        let page2 = book.loaded(page1.loads[0], Self.work([4, 5], version: 40))
        #expect(page2.loads.isEmpty, "the window is full")
        let (release, next) = book.finished(EventID(1), of: Self.claim)
        #expect(release == nil, "more pages to read: not idle")
        #expect(next.loads == [CallBook.Load(claim: Self.claim, after: EventID(5), limit: 1)])
    }

    @Test func aPollDropsLostCallsAndReadsChangedOnes() {
        var book = CallBook(window: 100, page: 10)
        let other = CallClaim(call: CallKey(endpoint: "default", callID: "CA2"), token: 8)
        _ = Self.stored(&book, 1, version: 1)
        _ = Self.stored(&book, 2, version: 1, claim: other)
        let seen = book.mutations
        let late = CallClaim(call: CallKey(endpoint: "default", callID: "CA3"), token: 9)
        _ = Self.stored(&book, 3, version: 1, claim: late)  // taken after the poll read the journal
        let step = book.polled([Self.claim: 4], seen: seen)
        #expect(step.drops == [other])
        #expect(step.loads == [CallBook.Load(claim: Self.claim, after: nil, limit: 10)])
        #expect(book.calls == 2, "the call taken after the poll's read is kept")
    }

    /// An append that committed after it was answered as failed (its database stopped) leaves the call with
    /// this node in the journal but not in the book: the next event of the call waits for a read of the call
    /// (the journal says it has pending work), and a poll reads a call the book does not know. (Before, the
    /// next event ran at once, ahead of the earlier one.)
    @Test func workOfThisNodeThatTheBookNeverSawIsReadFirst() {
        var book = CallBook(window: 100, page: 10)
        let next = Self.stored(&book, 716, version: 3, inherited: true)
        #expect(next.admit.isEmpty, "the later event waits")
        #expect(next.loads == [CallBook.Load(claim: Self.claim, after: nil, limit: 10)])
        let loaded = book.loaded(next.loads[0], Self.work([514, 716], version: 3))
        #expect(Self.ids(loaded) == [514, 716], "the earlier event first")

        var other = CallBook(window: 100, page: 10)
        let seen = other.mutations
        let poll = other.polled([Self.claim: 2], seen: seen)
        #expect(poll.loads == [CallBook.Load(claim: Self.claim, after: nil, limit: 10)])
        #expect(other.calls == 1)
    }

    @Test func aNewClaimOnAHeldCallReplacesTheOldOne() {
        var book = CallBook(window: 100, page: 10)
        _ = Self.stored(&book, 1, version: 1)
        let newer = CallClaim(call: Self.call, token: 8)
        let step = Self.stored(&book, 2, version: 1, claim: newer)
        #expect(step.drops == [Self.claim])
        #expect(Self.ids(step) == [2] && step.admit[0].claim == newer)
        #expect(book.eventsInMemory == 1)
    }
}
