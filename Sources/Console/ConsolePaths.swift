/// The console's addresses, all under `/console` (what a proxy forwards).
enum ConsolePaths {
    static let root = "/console"
    static let login = "/console/login"
    static let logout = "/console/logout"
    static let assets = "/console/assets/"
    static let events = "/console/events"
    static let live = "/console/events/live"
    static let failures = "/console/failures"
    static let scripts = "/console/scripts"
    static let overview = "/console/overview"
    static func event(_ id: Int64) -> String { "/console/events/\(id)" }
    static func call(_ callID: String) -> String {
        "/console/calls/" + (callID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? "")
    }
}

import Foundation
