import Foundation

/// The event contract's files (`Tests/Fixtures/interactly`), for every test suite.
public func fixtureURL(_ path: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/interactly/\(path)")
}

/// The `.json` files of a fixture folder, sorted.
public func fixtureFiles(in folder: String) -> [URL] {
    let directory = fixtureURL(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
}

public func fixtureBytes(_ path: String) -> [UInt8] {
    [UInt8](try! Data(contentsOf: fixtureURL(path)))
}
