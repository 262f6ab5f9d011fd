import ArgumentParser
import EventDispatch
import Foundation
import HooklineApp

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compile every script (and the config file) and list which scripts run for each event type.",
        discussion: """
            Problems are printed as path:line: message, like a compiler, and the exit status is non-zero when there \
            is any: run it in CI for your own scripts. A timer.set with a literal name that no timers/<name>.lua \
            handles is a warning (it does not change the exit status).

            Examples:
              hookline check
              hookline check --scripts examples/crm-push/scripts
              hookline check --config hookline.yml
            """
    )

    @Option(help: "Scripts folder to check.")
    var scripts = "./scripts"
    @Option(help: "Config file to check too (default: ./hookline.yml when it exists).")
    var config: String?

    func run() async throws {
        var problems = 0
        let configPath = config ?? (FileManager.default.fileExists(atPath: "hookline.yml") ? "hookline.yml" : nil)
        var folders = [scripts]
        if let configPath {
            do {
                var settings = Settings()
                try settings.applyConfigFile(configPath, environment: ProcessInfo.processInfo.environment)
                folders += settings.endpoints.compactMap(\.scripts)
                print("\(configPath): ok")
            } catch {
                print("\(configPath): \(error)")
                problems += 1
            }
        }
        for folder in folders {
            guard FileManager.default.fileExists(atPath: folder) else {
                print("\(folder): no such folder")
                problems += 1
                continue
            }
            let set: ScriptSet
            do {
                set = try await ScriptLoader.load(folder: folder)
            } catch {
                print("\(folder): \(error)")
                problems += 1
                continue
            }
            for error in set.errors {
                print("\((folder as NSString).appendingPathComponent(error.source ?? error.script)):\(error.line.map(String.init) ?? "1"): \(error.message)")
                problems += 1
            }
            print("\(folder):")
            if set.scripts.isEmpty { print("  no scripts (add hang.lua, any.lua, ...)") }
            for (type, paths) in set.byType { print("  \(type): \(paths.joined(separator: ", "))") }
            for missing in set.timersWithoutHandler {
                print("""
                    \((folder as NSString).appendingPathComponent(missing.path)):\(missing.line): warning: timer.set("\(missing.name)") \
                    has no handler; add timers/\(missing.name).lua, or the timer will come due and do nothing
                    """)
            }
            if !set.modules.isEmpty { print("  modules: \(set.modules.keys.sorted().joined(separator: ", "))") }
        }
        if problems > 0 {
            print("\(problems) problem\(problems == 1 ? "" : "s")")
            throw ExitCode.failure
        }
    }
}
