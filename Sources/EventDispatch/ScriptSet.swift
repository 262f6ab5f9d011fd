import Basics
import Crypto
import Foundation
import Journal
import LuaRuntime

/// One script file of a scripts folder, and the event types it runs for.
package struct ScriptFile: Sendable, Equatable {
    /// Path relative to the scripts folder: `hang.lua`, `hang/slack.lua`, `any.lua`.
    package var path: String
    /// The event type it runs for (`any` runs for every event).
    package var type: String
    package var source: [UInt8]
    /// Short hash of the source: which version of the script a run used.
    package var version: String

    /// Whether it handles a timer (`timers/<name>.lua`, `timers/<name>/*.lua`) rather than events.
    package var handlesTimer: Bool { Timers.name(ofEventType: type) != nil }

    /// The source to compile: a timer handler sees its input as `timer`, an event script as `event`. In a
    /// handler the fired timer falls back to the `timer` library, so that `timer.data` and `timer.set(...)` both
    /// work (on the first line, so that line numbers stay the file's own).
    package var compilable: ScriptSource {
        guard handlesTimer else { return ScriptSource(name: path, text: source) }
        let prologue = "timer = setmetatable(timer or {}, {__index = _ENV.timer}); "
        return ScriptSource(name: path, text: Array(prologue.utf8) + source, inputName: "timer")
    }
}

/// The scripts of one folder at one moment: what runs for each event type, the modules `require` finds in
/// `lib/`, and the problems found. Immutable; a change on disk produces a new set.
package struct ScriptSet: Sendable {
    package static let anyType = "any"

    package var folder: String
    package var scripts: [ScriptFile]
    /// Module name (`util`, `team.format`) -> source, from `lib/`.
    package var modules: [String: ScriptSource]
    /// Scripts or modules that do not compile. When an earlier version compiled, it is still in `scripts`.
    package var errors: [ScriptError]

    package init(folder: String, scripts: [ScriptFile] = [], modules: [String: ScriptSource] = [:], errors: [ScriptError] = []) {
        self.folder = folder
        self.scripts = scripts
        self.modules = modules
        self.errors = errors
    }

    /// The scripts an event of `type` runs: those of its type, then those for every type, in path order. A
    /// fired timer (`timer:<name>`) runs its handlers only.
    package func scripts(for type: String) -> [ScriptFile] {
        let own = scripts.filter { $0.type == type }
        return Timers.name(ofEventType: type) != nil ? own : own + scripts.filter { $0.type == ScriptSet.anyType }
    }

    /// Event types that have scripts, with their script paths.
    package var byType: [(type: String, paths: [String])] {
        Dictionary(grouping: scripts, by: \.type).map { ($0.key, $0.value.map(\.path).sorted()) }.sorted { $0.type < $1.type }
    }

    /// Finds modules for `require`.
    package var moduleLoader: ModuleLoader {
        let modules = self.modules
        return { name in
            guard let source = modules[name] else {
                let path = "lib/" + name.replacingOccurrences(of: ".", with: "/") + ".lua"
                throw HostError("require: no module '\(name)' (looked for \(path) in the scripts folder)")
            }
            return source
        }
    }

    static func version(of source: [UInt8]) -> String {
        hex(SHA256.hash(data: source).prefix(6))
    }

    /// A fingerprint of what several folders run (every script's path and version): equal on two nodes when they
    /// run the same scripts.
    package static func version(of sets: [ScriptSet]) -> String {
        let lines = sets.flatMap { set in set.scripts.map { "\(set.folder)/\($0.path)@\($0.version)" } }.sorted()
        return version(of: Array(lines.joined(separator: "\n").utf8))
    }
}
