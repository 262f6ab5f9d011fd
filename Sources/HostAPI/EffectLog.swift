import Basics
import Crypto
import Foundation
import JSON
import Journal
import Synchronization

/// The host calls of one run attempt, as they happen: each is recorded with its arguments and outcome (the
/// run's `EffectRecord`), and, when the attempt retries one that recorded earlier, the calls that match that
/// record in order (same function, same arguments) return its results instead of being performed again. A call
/// that failed before, or whose result was not kept whole, is performed again, and when it comes out as before
/// the calls after it are still matched. The first call that differs (in its arguments, or in what it returned),
/// and every call after it, is performed.
///
/// ```swift
/// let log = EffectLog(earlier: recordOfTheFailedAttempt)
/// let delivered = try await log.perform("alert", [EffectField("title", .text("Hang"))],
///                                       replay: { $0.bool }, live: { await alerter.raise(alert) },
///                                       recorded: { (.bool($0), true) })
/// log.record   // the call, marked reused when the earlier attempt's result was returned
/// ```
package final class EffectLog: Sendable {
    /// Bodies (HTTP, files) and store values are kept to this many bytes, with their whole length and SHA-256.
    package static let bodyLimit = 64 << 10

    fileprivate struct State {
        var record = EffectRecord()
        var earlier: [EffectEntry]
        var position = 0
        var diverged = false
    }

    private let state: Mutex<State>

    /// `earlier`: what the attempt before this one did (nil for a first attempt, or to perform everything).
    package init(earlier: EffectRecord? = nil) {
        state = Mutex(State(earlier: earlier?.entries ?? []))
    }

    /// The calls made so far.
    package var record: EffectRecord { state.withLock { $0.record } }

    /// The 1-based position the next call will have in the run's record (the call index of an Idempotency-Key).
    package var nextPosition: Int { state.withLock { $0.position + 1 } }

    /// Performs a call with effects, or returns what the earlier attempt's matching call returned; records it
    /// either way. `recorded` turns a result into what is kept, and says whether it was kept whole (only then
    /// can a retry return it); `replay` turns a kept result back into the call's result.
    package func perform<T: Sendable>(_ call: String, _ arguments: [EffectField], replay: (EffectValue) -> T?,
                           live: () async throws -> T, recorded: (T) -> (EffectValue, Bool)) async throws -> T {
        let expected: EffectEntry?
        switch reuse(call, arguments, replay) {
        case .reused(let value): return value
        case .perform(let earlier): expected = earlier
        }
        do {
            let value = try await live()
            let (result, whole) = recorded(value)
            keep(EffectEntry(call: call, arguments: arguments, result: result, replayable: whole), expected: expected)
            return value
        } catch {
            keep(EffectEntry(call: call, arguments: arguments, error: "\(error)"), expected: expected)
            throw error
        }
    }

    /// `perform` for a call that does not wait (`time.now`).
    package func performNow<T: Sendable>(_ call: String, _ arguments: [EffectField], replay: (EffectValue) -> T?, live: () -> T,
                              recorded: (T) -> EffectValue) -> T {
        let expected: EffectEntry?
        switch reuse(call, arguments, replay) {
        case .reused(let value): return value
        case .perform(let earlier): expected = earlier
        }
        let value = live()
        keep(EffectEntry(call: call, arguments: arguments, result: recorded(value), replayable: true), expected: expected)
        return value
    }

    /// Records a call that is always performed, on a retry too (it reaches nothing outside the run: `env`,
    /// timers, notes), after comparing it with the earlier attempt's call at its place.
    package func note(_ call: String, _ arguments: [EffectField], result: EffectValue? = nil) {
        state.withLock { state in
            if state.match(call, arguments) == nil { state.diverged = true }
            state.record.append(EffectEntry(call: call, arguments: arguments, result: result))
        }
    }

    private enum Reuse<T: Sendable>: Sendable {
        case reused(T)
        /// The call must be performed; `expected` is the earlier attempt's call at its place when it has the same
        /// arguments (it failed, or its result was not kept whole).
        case perform(expected: EffectEntry?)
    }

    /// The earlier attempt's result of this call, recorded as reused; or that the call must be performed (and,
    /// when it differs from the earlier attempt's, every call after it).
    private func reuse<T: Sendable>(_ call: String, _ arguments: [EffectField], _ replay: (EffectValue) -> T?) -> Reuse<T> {
        state.withLock { state in
            guard let entry = state.match(call, arguments) else {
                state.diverged = true
                return .perform(expected: nil)
            }
            guard entry.replayable, entry.error == nil, let result = entry.result, let value = replay(result) else {
                return .perform(expected: entry)
            }
            state.record.append(EffectEntry(call: call, arguments: arguments, result: result, replayable: true, reused: true))
            return .reused(value)
        }
    }

    /// Records a performed call. One performed again that came out as before (the same error, the same result)
    /// leaves the run on its earlier course: the calls after it may still be reused.
    private func keep(_ entry: EffectEntry, expected: EffectEntry?) {
        state.withLock { state in
            if expected?.result != entry.result || expected?.error != entry.error || expected == nil { state.diverged = true }
            state.record.append(entry)
        }
    }
}

extension EffectLog.State {
    /// Takes the next position; the earlier attempt's call there when this one matches it and nothing before
    /// differed.
    mutating func match(_ call: String, _ arguments: [EffectField]) -> EffectEntry? {
        defer { position += 1 }
        guard !diverged, position < earlier.count else { return nil }
        let entry = earlier[position]
        return entry.call == call && entry.arguments == arguments ? entry : nil
    }
}

/// How host calls' values are kept in a run's record.
package enum EffectValues {
    /// A body (or file content): its length and SHA-256, and its text up to `EffectLog.bodyLimit` bytes
    /// (base64 when it is not UTF-8); whole when it fits.
    package static func body(_ bytes: [UInt8]) -> (value: EffectValue, whole: Bool) {
        var fields = [EffectField("length", .integer(Int64(bytes.count))),
                      EffectField("sha256", .text(hex(SHA256.hash(data: bytes))))]
        let kept = Array(bytes.prefix(EffectLog.bodyLimit))
        if let text = String(validating: kept, as: UTF8.self) {
            fields.append(EffectField("text", .text(text)))
        } else {
            fields.append(EffectField("base64", .text(Data(kept).base64EncodedString())))
        }
        let whole = kept.count == bytes.count
        if !whole { fields.append(EffectField("truncated", .bool(true))) }
        return (.object(fields), whole)
    }

    /// The bytes of a body kept whole; nil when it was cut.
    package static func bytes(_ value: EffectValue) -> [UInt8]? {
        guard value["truncated"] == nil, case .integer(let length)? = value["length"] else { return nil }
        if let text = value["text"]?.text {
            let bytes = Array(text.utf8)
            return bytes.count == length ? bytes : nil
        }
        if let encoded = value["base64"]?.text, let data = Data(base64Encoded: encoded), data.count == length { return Array(data) }
        return nil
    }

    /// Header names whose values are credentials: kept as "[redacted]".
    package static func isCredential(_ name: String, except kept: String? = nil) -> Bool {
        let name = name.lowercased()
        if let kept, name == kept.lowercased() { return false }
        return ["authorization", "cookie", "token", "secret", "password", "passwd", "key", "auth", "signature", "session",
                "credential"].contains { name.contains($0) }
    }

    package static func headers(_ headers: [(name: String, value: String)], keeping kept: String? = nil) -> EffectValue {
        .object(headers.map { EffectField($0.name, .text(isCredential($0.name, except: kept) ? "[redacted]" : $0.value)) })
    }

    package static func headerList(_ value: EffectValue?) -> [(name: String, value: String)] {
        guard case .object(let fields)? = value else { return [] }
        return fields.map { ($0.name, $0.value.text ?? "") }
    }

    /// A JSON text (a store value) as a value, when it is small enough to keep; else its length and hash.
    package static func json(_ text: String) -> (value: EffectValue, whole: Bool) {
        let bytes = Array(text.utf8)
        if bytes.count <= EffectLog.bodyLimit,
           let document = try? JSONParser.parse(bytes, options: .init(maxDepth: 128, rejectDuplicateKeys: false)) {
            return (EffectValue(document.root), true)
        }
        return (.object([EffectField("length", .integer(Int64(bytes.count))),
                         EffectField("sha256", .text(hex(SHA256.hash(data: bytes))))]), false)
    }
}
