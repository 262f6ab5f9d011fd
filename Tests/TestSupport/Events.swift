import Intake

/// The fixture with its call id (and message timestamp, when given) replaced, as `hookline send --call-id
/// --now` does it: one fixture, many calls.
public func event(_ fixture: String, callID: String, timestamp: Int64? = nil) -> [UInt8] {
    try! EventRewriter.rewrite(fixtureBytes(fixture), callID: callID, now: timestamp)
}

/// Paths of a fixture folder's `.json` files, relative to the fixtures (e.g. "fixtures/hang.json").
public func fixturePaths(in folder: String) -> [String] {
    fixtureFiles(in: folder).map { "\(folder)/\($0.lastPathComponent)" }
}
