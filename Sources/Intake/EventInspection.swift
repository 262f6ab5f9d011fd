import Journal
import Basics
import Crypto
import JSON

/// What intake learns from a strictly parsed body: the event's identity and every deviation from the
/// Interactly contract that is worth knowing but not worth losing the event over.
public struct EventInspection: Sendable {
    public var type: String
    public var callID: String
    package var dedupKey: String
    public var warnings: [Warning]
    /// Every deviation found, by kind, including those past `Inspector.listedWarnings` that are not listed.
    package var counts: [Warning.Kind: Int]

    /// A deviation from the contract, at a JSON pointer.
    public struct Warning: Sendable, Equatable, CustomStringConvertible {
        package enum Kind: String, Sendable {
            case unknownType = "unknown_type"
            case unknownValue = "unknown_value"
            case wrongType = "wrong_type"
            case missingField = "missing_field"
            case outOfRange = "out_of_range"
            /// Stands for the deviations past the listed ones.
            case omitted = "omitted"
        }
        package var kind: Kind
        package var pointer: String
        package var message: String
        public var description: String { "\(pointer): \(message)" }
    }
}

/// Why a body is refused: the HTTP status, a stable code, and a message naming the problem.
public struct IntakeRejection: Error, Sendable, Equatable {
    public var status: Int
    public var code: String
    public var message: String
    package var pointer: String?

    package init(status: Int, code: String, message: String, pointer: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.pointer = pointer
    }
}

public enum EventTypes {
    public static let known: Set<String> = ["status-update", "conversation-update", "end-of-call-report", "hang", "error"]
}

/// Checks a parsed body against the contract (`Tests/Fixtures/interactly/events.md`): refuses what cannot be
/// identified (422), and records warnings for everything else that deviates.
enum Inspector {
    static let callIDLimit = 128
    static let earliestTimestamp: Int64 = 1_577_836_800_000  // 2020-01-01
    static let knownStatuses = ["initiated", "queued", "ongoing", "finished", "forwarded", "failed"]
    static let knownRoles = ["user", "assistant"]
    static let knownErrorTypes = ["llm_error", "stt_error"]
    static let textLimit = 32 * 1024
    static let messagesLimit = 10_000
    /// Warnings listed on one event; the rest are counted. A 900 KB body of 300,000 empty messages made
    /// 1.2 million warnings: 84 MB in the journal and 1.4 GB of memory before this cap.
    static let listedWarnings = 100

    static func inspect(_ document: JSONDocument, now: Int64) throws(IntakeRejection) -> EventInspection {
        try document.withView { view throws(IntakeRejection) in try inspect(view.root, body: document.bytes, now: now) }
    }

    /// Reads the document in place: the checks look up hundreds of values in a conversation's messages, and a
    /// `JSONValue` counts a reference to its document at each copy.
    private static func inspect(_ root: JSONView.Value, body: [UInt8], now: Int64) throws(IntakeRejection) -> EventInspection {
        guard root.kind == .object else {
            throw IntakeRejection(status: 422, code: "not_an_event",
                                  message: "the body must be a JSON object with a \"message\" object, not a \(root.typeName)",
                                  pointer: "")
        }
        guard let message = root["message"] else {
            throw IntakeRejection(status: 422, code: "not_an_event", message: "the body has no \"message\" object",
                                  pointer: "/message")
        }
        guard message.kind == .object else {
            throw IntakeRejection(status: 422, code: "not_an_event",
                                  message: "\"message\" must be an object, not a \(message.typeName)", pointer: "/message")
        }
        guard let typeValue = message["type"] else {
            throw IntakeRejection(status: 422, code: "missing_type", message: "message.type is missing",
                                  pointer: "/message/type")
        }
        guard let type = typeValue.string else {
            throw IntakeRejection(status: 422, code: "invalid_type",
                                  message: "message.type must be a string, not a \(typeValue.typeName)", pointer: "/message/type")
        }
        guard !type.hasPrefix(Timers.typePrefix) else {
            throw IntakeRejection(status: 422, code: "reserved_type", message: """
                message.type \(JSONStrings.quoted(String(type.prefix(80)))) is refused: types starting with "timer:" are \
                Hookline's own, for timers that come due
                """, pointer: "/message/type")
        }
        guard let call = message["call"], call.kind == .object else {
            throw IntakeRejection(status: 422, code: "missing_call_id", message: "message.call must be an object with an id",
                                  pointer: "/message/call")
        }
        guard let idValue = call["id"], let callID = idValue.string else {
            throw IntakeRejection(status: 422, code: "missing_call_id", message: "message.call.id must be a string",
                                  pointer: "/message/call/id")
        }
        guard isSafeIdentifier(callID) else {
            throw IntakeRejection(status: 422, code: "unsafe_call_id",
                                  message: "message.call.id must be 1 to 128 letters, digits, '-' or '_', starting with a letter or digit",
                                  pointer: "/message/call/id")
        }

        var checks = Checks()
        if !EventTypes.known.contains(type) {
            checks.warn(.unknownType, "/message/type",
                        "unknown event type \(JSONStrings.quoted(type)); kept, run by any scripts, and counted as \"other\" in metrics")
        }
        checks.common(message: message, call: call, now: now)
        switch type {
        case "status-update": checks.statusUpdate(call)
        case "conversation-update": checks.messages(message, required: true, nonEmpty: true)
        case "end-of-call-report": checks.endOfCallReport(message, call: call)
        case "hang": checks.messages(message, required: true, nonEmpty: false)
        case "error": checks.error(message)
        default: break
        }
        checks.summarizeOmitted()
        return EventInspection(type: type, callID: callID, dedupKey: dedupKey(type: type, callID: callID, message: message,
                                                                               body: body),
                               warnings: checks.warnings, counts: checks.counts)
    }

    /// A call id: at most `callIDLimit` bytes of `IdentifierAlphabet`, a letter or digit first.
    static func isSafeIdentifier(_ id: String) -> Bool {
        isSafeIdentifier(id.utf8)
    }

    /// The same check on a JSON string, reading its bytes in place unless it has escapes.
    static func isSafeIdentifier(_ value: JSONView.Value) -> Bool {
        if let text = value.unescapedText { return isSafeIdentifier(text) }
        return value.string.map(isSafeIdentifier) ?? false
    }

    private static func isSafeIdentifier<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        IdentifierAlphabet.isIdentifier(bytes, maxLength: callIDLimit, alphanumericFirst: true)
    }

    /// The natural key of each event type (`Tests/Fixtures/interactly/events.md`, section e); the hash of the
    /// body when a part is missing.
    static func dedupKey(type: String, callID: String, message: JSONView.Value, body: [UInt8]) -> String {
        let call = message["call"]
        let timestamp = message["timestamp"]?.integer.map(String.init)
        let parts: [String]?
        switch type {
        case "status-update":
            parts = call?["status"]?.string.map { [$0] }
        case "conversation-update":
            if let messages = message["messages"], messages.kind == .array, let last = messages.last?["messageId"]?.string {
                parts = [String(messages.count), last]
            } else {
                parts = nil
            }
        case "end-of-call-report":
            parts = []
        case "hang":
            parts = timestamp.map { [$0] }
        case "error":
            let error = message["error"]
            if let timestamp, let errorType = error?["type"]?.string, let code = error?["code"]?.string {
                parts = [timestamp, errorType, code]
            } else {
                parts = nil
            }
        default:
            parts = nil
        }
        guard let parts else {
            return "sha256:" + hex(SHA256.hash(data: body))
        }
        return ([type, callID] + parts).joined(separator: "|")
    }
}

/// The JSON kinds a field may have.
private struct Kinds: OptionSet {
    let rawValue: UInt8
    static let object = Kinds(rawValue: 1)
    static let array = Kinds(rawValue: 2)
    static let string = Kinds(rawValue: 4)
    static let number = Kinds(rawValue: 8)
    static let boolean = Kinds(rawValue: 16)
    static let null = Kinds(rawValue: 32)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ kind: JSONKind) {
        switch kind {
        case .object: self = .object
        case .array: self = .array
        case .string: self = .string
        case .integer, .double: self = .number
        case .true, .false: self = .boolean
        case .null: self = .null
        }
    }
}

/// Accumulates warnings while walking the message.
private struct Checks {
    var warnings: [EventInspection.Warning] = []
    var counts: [EventInspection.Warning.Kind: Int] = [:]

    // Fields looked up together, in one pass over their object. The call's with the kinds each may have.
    static let callFields: [(name: String, kinds: Kinds, what: String)] = [
        ("teamId", .string, "a string"), ("assistantId", .string, "a string"), ("callType", .string, "a string"),
        ("direction", .string, "a string"), ("phoneCallStatus", .string, "a string"), ("callEndTriggerBy", .string, "a string"),
        ("startAt", [.string, .null], "an ISO-8601 string or null"), ("endAt", [.string, .null], "an ISO-8601 string or null"),
        ("assistantCallDuration", .number, "a number"),
    ]
    static let callKeys = JSONKeys(callFields.map(\.name))
    static let messageObjects = ["assistant", "phone", "customer", "analysis"]
    static let messageObjectKeys = JSONKeys(messageObjects)
    static let messageItemKeys = JSONKeys(["messageId", "role", "text", "timestamp", "metrics", "skippedAssistantMessages"])

    /// Lists a deviation, or only counts it once `Inspector.listedWarnings` are listed (its text is then
    /// never built).
    mutating func warn(_ kind: EventInspection.Warning.Kind, _ pointer: @autoclosure () -> String,
                       _ message: @autoclosure () -> String) {
        counts[kind, default: 0] += 1
        if warnings.count < Inspector.listedWarnings {
            warnings.append(.init(kind: kind, pointer: pointer(), message: message()))
        }
    }

    /// One last warning saying how many more were found, by kind.
    mutating func summarizeOmitted() {
        let omitted = counts.values.reduce(0, +) - warnings.count
        guard omitted > 0 else { return }
        let kinds = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
        warnings.append(.init(kind: .omitted, pointer: "/message",
                              message: "\(omitted) more deviations not listed (in all: \(kinds.joined(separator: ", ")))"))
    }

    /// A field that, when present, must have one of the given kinds.
    @discardableResult
    mutating func expect(_ value: JSONView.Value?, _ pointer: @autoclosure () -> String, _ allowed: Kinds, _ what: String) -> JSONView.Value? {
        guard let value else { return nil }
        guard allowed.contains(Kinds(value.kind)) else {
            warn(.wrongType, pointer(), "expected \(what), found \(value.typeName)")
            return nil
        }
        return value
    }

    mutating func required(_ value: JSONView.Value?, _ pointer: @autoclosure () -> String, _ allowed: Kinds, _ what: String) -> JSONView.Value? {
        guard value != nil else {
            warn(.missingField, pointer(), "missing (expected \(what))")
            return nil
        }
        return expect(value, pointer(), allowed, what)
    }

    mutating func known(_ value: JSONView.Value?, _ pointer: @autoclosure () -> String, _ values: [String]) {
        guard let value = expect(value, pointer(), .string, "a string") else { return }
        if !values.contains(where: value.stringEquals) {
            warn(.unknownValue, pointer(), "unknown value \(JSONStrings.quoted(value.string ?? ""))")
        }
    }

    mutating func common(message: JSONView.Value, call: JSONView.Value, now: Int64) {
        if let timestamp = required(message["timestamp"], "/message/timestamp", .number, "an integer epoch in milliseconds") {
            if let ms = timestamp.integer {
                if ms < Inspector.earliestTimestamp || ms > now + 86_400_000 {
                    warn(.outOfRange, "/message/timestamp", "\(ms) is not between 2020-01-01 and 24 hours from now (epoch milliseconds)")
                }
            } else {
                warn(.wrongType, "/message/timestamp", "expected an integer epoch in milliseconds, found a fraction")
            }
        }
        let callValues = call.values(of: Self.callKeys)
        for (slot, field) in Self.callFields.enumerated() {
            expect(callValues[slot], "/message/call/\(field.name)", field.kinds, field.what)
        }
        // the last of the call's fields: a number when it passed, nil otherwise
        if let seconds = callValues[Self.callFields.count - 1]?.number, seconds < 0 {
            warn(.outOfRange, "/message/call/assistantCallDuration", "negative duration \(seconds)")
        }
        let objects = message.values(of: Self.messageObjectKeys)
        for (slot, field) in Self.messageObjects.enumerated() {
            expect(objects[slot], "/message/\(field)", .object, "an object")
        }
        expect(objects[2]?["number"], "/message/customer/number", .string, "a string")
    }

    mutating func statusUpdate(_ call: JSONView.Value) {
        guard call["status"] != nil else {
            warn(.missingField, "/message/call/status", "missing (a status-update names the new call status)")
            return
        }
        known(call["status"], "/message/call/status", Inspector.knownStatuses)
    }

    mutating func messages(_ message: JSONView.Value, required mustExist: Bool, nonEmpty: Bool) {
        let value = mustExist ? required(message["messages"], "/message/messages", .array, "an array")
            : expect(message["messages"], "/message/messages", .array, "an array")
        guard let messages = value else { return }
        if nonEmpty && messages.count == 0 { warn(.outOfRange, "/message/messages", "empty (expected at least one message)") }
        if messages.count > Inspector.messagesLimit {
            warn(.outOfRange, "/message/messages", "\(messages.count) messages (more than \(Inspector.messagesLimit))")
        }
        for (index, item) in messages.elements.enumerated() {
            var base: String { "/message/messages/\(index)" }
            guard item.kind == .object else {
                warn(.wrongType, base, "expected a message object, found \(item.typeName)")
                continue
            }
            let fields = item.values(of: Self.messageItemKeys)
            if let id = required(fields[0], base + "/messageId", .string, "a string"),
               !Inspector.isSafeIdentifier(id) {
                warn(.outOfRange, base + "/messageId", "not a safe identifier (letters, digits, '-' and '_', at most 128)")
            }
            if fields[1] == nil {
                warn(.missingField, base + "/role", "missing (expected \"user\" or \"assistant\")")
            } else {
                known(fields[1], base + "/role", Inspector.knownRoles)
            }
            if let text = required(fields[2], base + "/text", .string, "a string"),
               let range = text.rawStringRange, range.count > Inspector.textLimit {
                warn(.outOfRange, base + "/text", "longer than \(Inspector.textLimit / 1024) KiB")
            }
            if let timestamp = required(fields[3], base + "/timestamp", [.number, .string], "epoch milliseconds"),
               timestamp.kind == .string || timestamp.kind == .double {
                warn(.wrongType, base + "/timestamp", "expected integer epoch milliseconds, found \(timestamp.kind == .string ? "a string" : "a fraction")")
            }
            expect(fields[4], base + "/metrics", .object, "an object")
            expect(fields[5], base + "/skippedAssistantMessages", .array, "an array")
        }
    }

    mutating func endOfCallReport(_ message: JSONView.Value, call: JSONView.Value) {
        messages(message, required: true, nonEmpty: false)
        if let analysis = required(message["analysis"], "/message/analysis", .object, "an object") {
            for field in ["summary", "successEvaluation", "outcome"] {
                expect(analysis[field], "/message/analysis/\(field)", .string, "a string")
            }
            expect(analysis["structuredData"], "/message/analysis/structuredData", .object, "an object")
        }
        if let cost = expect(call["cost"], "/message/call/cost", [.object, .null], "an object"), cost.kind == .object {
            for (key, value) in cost.members where value.kind != .object {
                if let number = value.number {
                    if number < 0 { warn(.outOfRange, "/message/call/cost/\(key)", "negative cost \(number)") }
                } else {
                    warn(.wrongType, "/message/call/cost/\(key)", "expected a number, found \(value.typeName)")
                }
            }
        }
        expect(call["metrics"], "/message/call/metrics", [.object, .null], "an object")
        if let recording = expect(call["recording"], "/message/call/recording", .object, "an object") {
            expect(recording["s3Bucket"], "/message/call/recording/s3Bucket", .string, "a string")
            expect(recording["path"], "/message/call/recording/path", .string, "a string")
        }
    }

    mutating func error(_ message: JSONView.Value) {
        expect(message["messages"], "/message/messages", .array, "an array")
        guard let error = required(message["error"], "/message/error", .object, "an object") else { return }
        known(error["type"], "/message/error/type", Inspector.knownErrorTypes)
        for field in ["code", "message", "provider"] {
            _ = required(error[field], "/message/error/\(field)", .string, "a string")
        }
        _ = required(error["retryable"], "/message/error/retryable", .boolean, "a boolean")
        expect(error["details"], "/message/error/details", .object, "an object")
    }
}
