import Foundation
import LuaRuntime

/// Reads a scripts folder into a `ScriptSet`:
/// - `<type>.lua` runs for events of that type (`any.lua` for every event);
/// - every `.lua` in a folder `<type>/` runs for that type too, each on its own;
/// - `lib/` holds modules for `require` (`lib/team/format.lua` is `require "team.format"`);
/// - files ending in `_test.lua` are script tests, and names starting with `.` are ignored.
/// Every script and module is compiled; one that does not compile is reported, and its previous version
/// (from `previous`) keeps running.
public enum ScriptLoader {
    public static func load(folder: String, previous: ScriptSet? = nil) async -> ScriptSet {
        var set = ScriptSet(folder: folder)
        let files = listFiles(folder)
        let checker = LuaEngine<Void>(limits: LuaLimits(timeout: .seconds(5), memory: 64 << 20))
        for relative in files {
            let components = relative.split(separator: "/").map(String.init)
            guard let data = FileManager.default.contents(atPath: folder + "/" + relative) else {
                set.errors.append(ScriptError(kind: .compile, script: relative, message: "cannot read the file"))
                continue
            }
            let source = [UInt8](data)
            if components.first == "lib" {
                let name = components.dropFirst().joined(separator: ".").dropLast(4)  // drop ".lua"
                if let problem = await compileProblem(checker, relative, source) {
                    set.errors.append(problem)
                    if let old = previous?.modules[String(name)] { set.modules[String(name)] = old }
                } else {
                    set.modules[String(name)] = ScriptSource(name: relative, text: source)
                }
                continue
            }
            guard components.count <= 2 else { continue }
            let type = components.count == 1 ? String(components[0].dropLast(4)) : components[0]
            if let problem = await compileProblem(checker, relative, source) {
                set.errors.append(problem)
                if let old = previous?.scripts.first(where: { $0.path == relative }) { set.scripts.append(old) }
            } else {
                set.scripts.append(ScriptFile(path: relative, type: type, source: source, version: ScriptSet.version(of: source)))
            }
        }
        return set
    }

    /// The `.lua` files of the folder that are scripts or modules, relative and sorted.
    static func listFiles(_ folder: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            guard name.hasSuffix(".lua"), !name.hasSuffix("_test.lua") else { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(relative)
            }
        }
        return files.sorted()
    }

    /// A fingerprint of everything the loader reads (names, sizes, modification times): when it changes,
    /// the folder needs loading again.
    static func fingerprint(_ folder: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var entries: [String] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".lua"), let attributes = enumerator.fileAttributes else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            entries.append("\(relative)|\(size)|\(modified)")
        }
        return entries.sorted()
    }

    private static func compileProblem(_ checker: LuaEngine<Void>, _ name: String, _ source: [UInt8]) async -> ScriptError? {
        do {
            _ = try await checker.compile(ScriptSource(name: name, text: source))
            return nil
        } catch {
            return error
        }
    }
}
