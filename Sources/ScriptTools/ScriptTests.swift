import EventDispatch
import Foundation
import HostAPI
import JSON
import Journal
import LuaRuntime
import Synchronization

/// What one test file gave.
package struct TestFileResult: Sendable {
    package struct Case: Sendable {
        package var name: String
        package var failure: String?
    }
    package var path: String
    package var cases: [Case]
    /// The file could not run at all (does not compile, fails outside a test, its scripts do not compile).
    package var error: String?

    package var passed: Int { cases.filter { $0.failure == nil }.count }
    package var failed: Int { cases.count - passed + (error == nil ? 0 : 1) }
}

/// Runs script tests (`*_test.lua`): each `test(name, fn)` runs in a fresh world of mocked effects where
/// `run(script, event)` executes the real script, and `expect.*` checks what it did.
package enum ScriptTests {
    /// Test files under `path` (a folder, or one test file), sorted.
    package static func discover(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return path.hasSuffix("_test.lua") ? [path] : [] }
        let enumerator = FileManager.default.enumerator(atPath: path)
        var found: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            if (relative as NSString).lastPathComponent.hasPrefix(".") { enumerator?.skipDescendants(); continue }
            if relative.hasSuffix("_test.lua") { found.append((path as NSString).appendingPathComponent(relative)) }
        }
        return found.sorted()
    }

    /// The scripts folder a test file belongs to: its own folder, or above a `<type>/` or `lib/` folder.
    static func scriptsFolder(of testFile: String) -> String {
        var folder = (testFile as NSString).deletingLastPathComponent
        let nested: Set<String> = ["lib", "any", "timers", "status-update", "conversation-update", "end-of-call-report", "hang", "error"]
        while nested.contains((folder as NSString).lastPathComponent) {
            folder = (folder as NSString).deletingLastPathComponent
        }
        return folder.isEmpty ? "." : folder
    }

    package static func run(file: String, progress: @escaping @Sendable (String, String?) -> Void = { _, _ in }) async -> TestFileResult {
        var result = TestFileResult(path: file, cases: [])
        guard let data = FileManager.default.contents(atPath: file) else {
            result.error = "cannot read \(file)"
            return result
        }
        let workbench: ScriptWorkbench
        do {
            workbench = try await ScriptWorkbench.load(folder: scriptsFolder(of: file))
        } catch {
            result.error = error.description
            return result
        }
        if !workbench.set.errors.isEmpty {
            result.error = workbench.set.errors.map(\.description).joined(separator: "\n")
            return result
        }
        let harness = Harness(workbench: workbench, folder: (file as NSString).deletingLastPathComponent, progress: progress)
        let engine = LuaEngine<Harness>(limits: LuaLimits(timeout: .seconds(300), memory: 256 << 20), functions: harness.functions)
        // `test` is Lua, written on the file's first line so that line numbers stay the file's own
        let prelude = "local test = function(name, fn) __test_begin(name) local ok, err = pcall(fn) __test_end(ok, err) end; "
        let name = (file as NSString).lastPathComponent
        do throws(ScriptError) {
            let script = try await engine.compile(ScriptSource(name: name, text: Array(prelude.utf8) + [UInt8](data)))
            if case .failure(let error) = await engine.run(script, event: ScriptInput.value(LuaValue.nil), context: harness) {
                result.error = error.description
            }
        } catch {
            result.error = error.description
        }
        result.cases = harness.cases
        return result
    }
}

/// The state of one test file's run: the world of the test in progress and the results so far.
final class Harness: Sendable {
    let workbench: ScriptWorkbench
    let folder: String
    let progress: @Sendable (String, String?) -> Void
    private let state = Mutex<(world: RecordingEffects?, name: String?, cases: [TestFileResult.Case])>((nil, nil, []))

    init(workbench: ScriptWorkbench, folder: String, progress: @escaping @Sendable (String, String?) -> Void) {
        self.workbench = workbench
        self.folder = folder
        self.progress = progress
    }

    var cases: [TestFileResult.Case] { state.withLock { $0.cases } }

    /// The world of the current test (a test file may also use the API outside `test`).
    func world() throws -> RecordingEffects {
        if let world = state.withLock({ $0.world }) { return world }
        let world = try RecordingEffects.scratch()
        state.withLock { $0.world = world }
        return world
    }

    var functions: [HostFunction<Harness>] {
        [
            .sync("__test_begin") { call in
                let name = try call.string(1, "name")
                let world = try RecordingEffects.scratch()
                call.context.state.withLock { $0 = (world, name, $0.cases) }
                return []
            },
            .sync("__test_end") { call in
                let ok = call.value(1) == .boolean(true)
                let failure = ok ? nil : describe(call.value(2))
                let name = call.context.state.withLock { state -> String in
                    let name = state.name ?? "?"
                    state.cases.append(.init(name: name, failure: failure))
                    if let world = state.world { try? FileManager.default.removeItem(atPath: world.outputFolder) }
                    state.world = nil
                    state.name = nil
                    return name
                }
                call.context.progress(name, failure)
                return []
            },
            .sync("print") { call in
                let text = (0..<call.count).map { describe(call.value($0 + 1)) }.joined(separator: "\t")
                FileHandle.standardOutput.write(Data(("      | " + text + "\n").utf8))
                return []
            },
            .sync("fixture") { call in
                let relative = try call.string(1, "path")
                let path = (call.context.folder as NSString).appendingPathComponent(relative)
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw HostError("fixture: cannot read \(path)")
                }
                do {
                    let root = try JSONParser.parse([UInt8](data), options: .init(maxDepth: 128)).root
                    return [LuaValue(json: root["message"].flatMap { $0.kind == .object ? $0 : nil } ?? root)]
                } catch {
                    throw HostError("fixture: \(relative) is not valid JSON: \(error)")
                }
            },
            .async("run") { call in
                let path = try call.string(1, "script")
                let event = call.value(2)
                guard case .table = event else { throw call.typeError(2, "event", expected: "a table") }
                var ctx = ScriptWorkbench.context(for: event)
                if case .table(let given) = call.value(3) { for (key, value) in given.fields { ctx[key] = value } }
                let world = try call.context.world()
                let workbench = call.context.workbench
                let finalContext = ctx
                return {
                    if case .failure(let error) = await workbench.run(path, event: .value(event), ctx: finalContext, effects: world) {
                        throw HostError("run: \(error.description)")
                    }
                    return []
                }
            },
            .async("advance") { call in
                let seconds = try call.number(1, "seconds")
                guard seconds >= 0 else { throw HostError("advance: seconds must not be negative (got \(seconds))") }
                let world = try call.context.world()
                let workbench = call.context.workbench
                return {
                    try await Self.advance(world, by: seconds, workbench: workbench)
                    return []
                }
            },
        ] + Expectations.functions
    }

    /// Moves the test's clock forward and runs the handlers of every timer that comes due on the way, each at
    /// its due time, in due order (a handler may set timers that come due within the same advance).
    static func advance(_ world: RecordingEffects, by seconds: Double, workbench: ScriptWorkbench) async throws {
        let target = world.now() + Int64((seconds * 1000).rounded())
        while let timer = world.takeDueTimer(at: target) {
            world.mockTime(max(world.now(), timer.dueAt))
            // what the server hands a handler: the fired event's body, as the journal would store it
            let type = Timers.eventType(timer.name)
            guard let fired = try? JSONParser.parse(Timers.eventBody(timer), options: .init(maxDepth: 128)).root["message", "timer"] else {
                throw HostError("advance: timer \(timer.name) could not be read back")
            }
            let input = TimerHandlerInput.timer(fired, now: world.now())
            let ctx = TimerHandlerInput.context(RunContext(eventID: String(timer.setBy.rawValue + 1), endpoint: timer.call.endpoint,
                                                           type: type, callID: timer.call.callID, receivedAt: world.now(),
                                                           attempt: 1, script: "", warnings: []), fired)
            for script in workbench.set.scripts(for: type) {
                if case .failure(let error) = await workbench.run(script.path, event: .value(input), ctx: ctx, effects: world) {
                    throw HostError("advance: the handler of timer \(timer.name) failed: \(error.description)")
                }
            }
        }
        world.mockTime(target)
    }
}

/// How a value reads in a test message.
func describe(_ value: LuaValue) -> String {
    if case .bytes(let bytes) = value { return String(decoding: bytes, as: UTF8.self) }
    return ValueMatching.literal(value)
}
