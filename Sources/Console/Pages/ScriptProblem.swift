import Foundation
import LuaRuntime

/// A script that does not compile, as `path:line: message` (the way `hookline check` prints it).
enum ScriptProblem {
    static func text(_ error: ScriptError, folder: String) -> String {
        "\((folder as NSString).appendingPathComponent(error.source ?? error.script)):\(error.line.map(String.init) ?? "1"): \(error.message)"
    }
}
