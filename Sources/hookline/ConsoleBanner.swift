import Foundation
import HooklineApp

/// The banner's line on the web console: where it is and how to log in.
enum ConsoleBanner {
    static func line(for hookline: Hookline) -> String {
        let settings = hookline.settings
        guard !settings.noConsole else { return "  console      off (--no-console)" }
        guard let port = hookline.consolePort else { return "  console      NOT LISTENING (see the error above)" }
        let host = settings.consoleHost == "0.0.0.0" ? "<this-host>" : settings.consoleHost
        let token = settings.consoleToken == nil
            ? "log in with the token in \((settings.data as NSString).appendingPathComponent("console-token"))"
            : "log in with --console-token"
        return "  console      http://\(host):\(port)/console   (\(token))"
    }
}
