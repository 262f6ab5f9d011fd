import Foundation

/// What the fuzz targets share: the input as bytes, the seed corpus written from the repository's fixtures,
/// failures that stop libFuzzer with a message, and async work run to completion from its callback.
public enum Fuzz {
    /// The repository this package sits in (FuzzTargets/Support/Fuzz.swift, two folders up).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The contract's example events: Tests/Fixtures/interactly (our fixtures, the malformed ones, the upstream
    /// examples) and the events of examples/.
    public static func fixtureFiles() -> [URL] {
        var files: [URL] = []
        for folder in ["Tests/Fixtures/interactly/fixtures", "Tests/Fixtures/interactly/fixtures/bad",
                       "Tests/Fixtures/interactly/upstream", "examples"] {
            let base = root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == "json" {
                // fixtures/bad is walked on its own; examples/ at any depth
                if folder.hasSuffix("interactly/fixtures") && url.deletingLastPathComponent().lastPathComponent == "bad" { continue }
                files.append(url)
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    public static func fixtures() -> [[UInt8]] {
        fixtureFiles().compactMap { try? [UInt8](Data(contentsOf: $0)) }
    }

    /// The objects and arrays inside the fixtures whose text (as the fixture has it, re-serialized) is at most
    /// `maxSize` bytes, largest first, at most `limit`: small seeds for targets that run best on small inputs.
    public static func fragments(maxSize: Int, limit: Int = 400) -> [[UInt8]] {
        var found = Set<Data>()
        func visit(_ value: Any) {
            if let map = value as? [String: Any] { map.values.forEach(visit) }
            if let list = value as? [Any] { list.forEach(visit) }
            guard value is [String: Any] || value is [Any],
                  let text = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]),
                  text.count <= maxSize else { return }
            found.insert(text)
        }
        for file in fixtures() {
            if let root = try? JSONSerialization.jsonObject(with: Data(file), options: [.fragmentsAllowed]) { visit(root) }
        }
        return found.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
            .prefix(limit).map { [UInt8]($0) }
    }

    /// libFuzzer's LLVMFuzzerInitialize, for each target to call from its own: with HOOKLINE_FUZZ_SEEDS set to
    /// a folder, writes the target's seed corpus there and exits (tools/fuzz.sh does this before each run,
    /// so the corpus is made from the fixtures as they are, never committed).
    public static func initialize(seeds: () -> [[UInt8]]) {
        guard let folder = ProcessInfo.processInfo.environment["HOOKLINE_FUZZ_SEEDS"] else { return }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let all = seeds()
        for (index, seed) in all.enumerated() {
            let path = (folder as NSString).appendingPathComponent(String(format: "seed-%04d", index))
            FileManager.default.createFile(atPath: path, contents: Data(seed))
        }
        print("wrote \(all.count) seeds to \(folder)")
        exit(0)
    }

    /// Stops the run with `message`: libFuzzer keeps the input as a crash file.
    public static func fail(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
        FileHandle.standardError.write(Data("\nFUZZ ORACLE FAILURE (\(file):\(line)): \(message())\n".utf8))
        abort()
    }

    public static func check(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        if !condition { fail(message(), file: file, line: line) }
    }

    /// Runs async `work` to its end from libFuzzer's (synchronous) callback.
    public static func wait<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let box = ResultBox<T>()
        Task {
            box.value = await work()
            box.done.signal()
        }
        box.done.wait()
        return box.value!
    }
}

/// The result of `Fuzz.wait`'s task: written once by the task before the signal, read after the wait.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    let done = DispatchSemaphore(value: 0)
}

/// A reader of the fuzzer's bytes as a sequence of choices.
public struct FuzzReader {
    public var bytes: ArraySlice<UInt8>
    public init(_ data: UnsafePointer<UInt8>, _ size: Int) { bytes = Array(UnsafeBufferPointer(start: data, count: size))[...] }
    public var isEmpty: Bool { bytes.isEmpty }
    public mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }
    public mutating func take(_ count: Int) -> [UInt8] {
        let taken = bytes.prefix(count)
        bytes = bytes.dropFirst(taken.count)
        return Array(taken)
    }
    public mutating func rest() -> [UInt8] { defer { bytes = [] }; return Array(bytes) }
}

extension UnsafePointer<UInt8> {
    public func bytes(_ count: Int) -> [UInt8] { Array(UnsafeBufferPointer(start: self, count: count)) }
}
