import Basics
import Foundation
import JSON
import Journal
import Observability
import Synchronization

/// An event that was journaled and is ready for processing, handed to dispatch in memory so that the
/// common case needs neither a journal read nor a second parse. The journal stays the source of truth.
public struct AcceptedEvent: Sendable {
    package var event: PendingEvent
    /// The stored (redacted) body, parsed.
    package var document: JSONDocument
    /// What the commit did to the event's call: whether this node holds it now, at which version.
    package var stored: StoredEvent
}

package enum IntakeResult: Sendable {
    case accepted(EventID, warnings: [EventInspection.Warning], skipped: Bool)
    case duplicate(of: EventID)
    /// The journal could not store the event: it was not accepted.
    case unavailable(JournalError)
}

/// The front door's logic, without HTTP: parse strictly once, identify, warn, redact, journal.
public final class Intake: Sendable {
    private let journal: any EventLog
    private let node: NodeIdentity
    private let telemetry: Telemetry
    private let deduplicate: Bool
    /// What stamps each delivery's `received_at`.
    package let clock: any WallClock
    private let onAccepted: @Sendable (AcceptedEvent) -> Void
    private let deliveryKeys = DeliveryKeys()

    /// Events are stored for `node`, which claims their calls when no live node holds them. With
    /// `deduplicate` off, every delivery is a new event, even one identical to an earlier one. `onAccepted`
    /// gets each stored event to process (not those its endpoint does not process).
    public init(journal: any EventLog, node: NodeIdentity, telemetry: Telemetry, deduplicate: Bool = true,
                clock: any WallClock = SystemClock(), onAccepted: @escaping @Sendable (AcceptedEvent) -> Void = { _ in }) {
        self.journal = journal
        self.node = node
        self.telemetry = telemetry
        self.deduplicate = deduplicate
        self.clock = clock
        self.onAccepted = onAccepted
    }

    /// A delivery that passed the checks: the body to store (parsed, credentials redacted) and what was learned.
    public struct Checked: Sendable {
        public var stored: JSONDocument
        public var inspection: EventInspection
    }

    /// Everything intake does before journaling: strict parse, identification and warnings, redaction.
    /// `receivedAt` (epoch milliseconds) bounds the plausible timestamps.
    public static func check(_ body: [UInt8], receivedAt: Int64) -> Result<Checked, IntakeRejection> {
        let document: JSONDocument
        let inspection: EventInspection
        do throws(IntakeRejection) {
            do throws(JSONParseError) {
                document = try JSONParser.parse(body)
            } catch {
                throw Intake.rejection(for: error)
            }
            inspection = try Inspector.inspect(document, now: receivedAt)
        } catch {
            return .failure(error)
        }
        return .success(Checked(stored: Redaction.redact(document) ?? document, inspection: inspection))
    }

    /// Checks one delivery (`check`), counting rejections and deviations. Cheap enough for the thread that
    /// read the body: the server runs it there, then hands what passed to `store`.
    package func accept(_ body: [UInt8], endpoint: String, receivedAt: Int64) -> Result<Checked, IntakeRejection> {
        let result = Intake.check(body, receivedAt: receivedAt)
        switch result {
        case .success(let checked):
            for (kind, count) in checked.inspection.counts { telemetry.warning(kind: kind.rawValue, count: count) }
        case .failure(let rejection):
            telemetry.rejected(endpoint: endpoint, reason: rejection.code)
        }
        return result
    }

    /// Journals a delivery that passed `accept`; `done` gets the result once it is durable. `subscribed` limits
    /// which types the endpoint processes (others are kept, marked skipped); `receivedAt` is epoch
    /// milliseconds. `onAccepted`, then `done`, are called on the journal's thread in commit order (see
    /// `EventLog.append`).
    package func store(_ checked: Checked, endpoint: String, subscribed: Set<String>? = nil, requestID: String,
                      receivedAt: Int64, done: @escaping @Sendable (IntakeResult) -> Void) {
        let (stored, inspection) = (checked.stored, checked.inspection)
        let skipped = subscribed.map { !$0.contains(inspection.type) } ?? false
        let warnings = inspection.warnings.map(\.description)
        let event = NewEvent(receivedAt: receivedAt, endpoint: endpoint, type: inspection.type, callID: inspection.callID,
                             dedupKey: deduplicate ? inspection.dedupKey : deliveryKeys.next(),
                             requestID: requestID, body: stored.bytes, warnings: warnings,
                             state: skipped ? .skipped : .pending)
        journal.append(event, claimant: node) { [self] outcome in
            switch outcome {
            case .failure(let error):
                telemetry.journalUnavailable()
                done(.unavailable(error))
            case .success(.stored(let record)):
                telemetry.accepted(endpoint: endpoint, type: inspection.type)
                if !skipped {
                    onAccepted(AcceptedEvent(event: PendingEvent(id: record.id, receivedAt: receivedAt, endpoint: endpoint,
                                                                 type: inspection.type, callID: inspection.callID,
                                                                 warnings: warnings, generation: 0),
                                             document: stored, stored: record))
                }
                done(.accepted(record.id, warnings: inspection.warnings, skipped: skipped))
            case .success(.duplicate(let id)):
                telemetry.duplicate(endpoint: endpoint, type: inspection.type)
                done(.duplicate(of: id))
            }
        }
    }

    static func rejection(for error: JSONParseError) -> IntakeRejection {
        let code: String
        switch error.reason {
        case .empty: code = "empty_body"
        case .invalidUTF8: code = "invalid_utf8"
        case .duplicateKey: code = "duplicate_key"
        case .tooDeep: code = "too_deep"
        case .nonFiniteLiteral, .numberOutOfRange: code = "invalid_number"
        case .syntax, .controlCharacter, .invalidEscape, .trailingData, .truncated: code = "malformed_json"
        }
        return IntakeRejection(status: 400, code: code, message: error.description, pointer: error.pointer)
    }
}

/// The keys of deliveries when deduplication is off: unique (a start time and a random tag per process, then
/// a counter) and increasing, so the journal's unique index on keys grows at its end rather than taking a
/// write on a random page of the index for every event.
final class DeliveryKeys: Sendable {
    private let prefix = "delivery|" + String(epochMilliseconds(), radix: 36) + "-"
        + String(UInt32.random(in: .min ... .max), radix: 36) + "|"
    private let counter = Atomic<UInt64>(0)

    func next() -> String {
        let number = String(counter.add(1, ordering: .relaxed).newValue, radix: 16)
        return prefix + String(repeating: "0", count: 16 - number.count) + number
    }
}
