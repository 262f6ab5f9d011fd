import Journal
import LuaRuntime

/// Reads a scripts folder into a `ScriptSet`:
/// - `<type>.lua` runs for events of that type (`any.lua` for every event);
/// - every `.lua` in a folder `<type>/` runs for that type too, each on its own;
/// - `lib/` holds modules for `require` (`lib/team/format.lua` is `require "team.format"`);
/// - `timers/<name>.lua` and every `.lua` in `timers/<name>/` handle the timer `<name>` when it comes due
///   (their event type is `timer:<name>`);
/// - files ending in `_test.lua` are script tests, and names starting with `.` are ignored.
/// Every script and module is compiled; one that does not compile is reported, and its previous version
/// (from `previous`) keeps running. A folder or file that cannot be read fails the whole load: a set with
/// scripts missing would let events finish without them.
///
/// ```swift
/// let set = try await ScriptLoader.load(folder: "scripts")
/// set.scripts(for: "hang").map(\.path)   // ["hang.lua", "hang/page-oncall.lua", "any.lua"], as present
/// set.errors                             // compile errors as "path:line: message"
/// let reloaded = try await ScriptLoader.load(folder: "scripts", previous: set)   // after an edit
/// ```
package enum ScriptLoader {
    package static func load(folder: String, previous: ScriptSet? = nil) async throws(ScriptFolderError) -> ScriptSet {
        var set = ScriptSet(folder: folder)
        var sources: [(path: String, source: [UInt8])] = []
        for file in try ScriptFolder.files(in: folder) where !file.path.hasSuffix("_test.lua") {
            sources.append((file.path, try ScriptFolder.read(folder + "/" + file.path)))
        }
        let checker = LuaEngine<Void>(limits: LuaLimits(timeout: .seconds(5), memory: 64 << 20))
        for (relative, source) in sources {
            let components = relative.split(separator: "/").map(String.init)
            if components.first == "lib" {
                let name = components.dropFirst().joined(separator: ".").dropLast(4)  // drop ".lua"
                if let problem = await compileProblem(checker, ScriptSource(name: relative, text: source)) {
                    set.errors.append(problem)
                    if let old = previous?.modules[String(name)] { set.modules[String(name)] = old }
                } else {
                    set.modules[String(name)] = ScriptSource(name: relative, text: source)
                }
                continue
            }
            let type: String
            if components.first == timersFolder {
                guard components.count == 2 || components.count == 3 else { continue }
                type = Timers.eventType(components.count == 2 ? String(components[1].dropLast(4)) : components[1])
            } else {
                guard components.count <= 2 else { continue }
                type = components.count == 1 ? String(components[0].dropLast(4)) : components[0]
            }
            let file = ScriptFile(path: relative, type: type, source: source, version: ScriptSet.version(of: source))
            if let problem = await compileProblem(checker, file.compilable) {
                set.errors.append(problem)
                if let old = previous?.scripts.first(where: { $0.path == relative }) { set.scripts.append(old) }
            } else {
                set.scripts.append(file)
            }
        }
        return set
    }

    /// A fingerprint of everything the loader reads (names, sizes, modification times): when it changes,
    /// the folder needs loading again.
    static func fingerprint(_ folder: String) throws(ScriptFolderError) -> [ScriptFolder.File] {
        try ScriptFolder.files(in: folder)
    }

    /// The folder of timer handlers, reserved like `lib/`.
    package static let timersFolder = "timers"

    private static func compileProblem(_ checker: LuaEngine<Void>, _ source: ScriptSource) async -> ScriptError? {
        do {
            _ = try await checker.compile(source)
            return nil
        } catch {
            return error
        }
    }
}
