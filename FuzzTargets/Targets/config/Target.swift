import Foundation
import FuzzSupport
import HooklineApp

// The settings' readers: the YAML config file (`Settings.applyConfigFile`), the command line's arguments,
// and the size and duration parsers. Never a crash; what the parsers read reads back the same from its
// plain form; a secret setting's value never appears in an error message.
//
// Input: byte 0 picks the reader, the rest is its text (for arguments, NUL-separated).

let secretSettings = ["secret", "database", "alert-slack", "alert-webhook", "alert-pagerduty"]
let someSettings = ["port", "max-body", "idle-timeout", "script-timeout", "script-memory", "retries", "lease", "http-allow",
                    "log-level", "dedup", "open", "retention", "min-body-rate", "max-inflight-bytes", "workers"] + secretSettings
let folder = NSTemporaryDirectory() + "hookline-fuzz-config-\(getpid())"
let file = folder + "/hookline.yml"

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Fuzz.initialize {
        // the README's configuration examples and every YAML file in the repository, then values of each kind
        var seeds: [[UInt8]] = []
        let readme = (try? String(contentsOf: Fuzz.root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
        for block in readme.components(separatedBy: "```yaml").dropFirst() {
            seeds.append([0] + Array((block.components(separatedBy: "```").first ?? "").utf8))
        }
        let walker = FileManager.default.enumerator(at: Fuzz.root, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            if url.path.contains("/.build") { walker?.skipDescendants(); continue }
            if ["yml", "yaml"].contains(url.pathExtension), let text = try? Data(contentsOf: url) { seeds.append([0] + text) }
        }
        seeds.append([0] + Array("port: 9000\nmax-body: 4MiB\nscript-timeout: 1.5s\nhttp-allow: [a.example, b.example]\nendpoints:\n  crm:\n    secret: s3cret-value\n    headers: {Authorization: Bearer x}\n    events: [hang, error]\n".utf8))
        for text in ["5s", "250ms", "1.5h", "0", "30d", "1e3s", "-1s", ".5m", "infs", "nan", "99999999999999999999d"] { seeds.append([1] + Array(text.utf8)) }
        for text in ["4MiB", "512KiB", "1MB", "1000", "0", "1.5GiB", "-3", "1e30GB", "infB", "kB"] { seeds.append([2] + Array(text.utf8)) }
        seeds.append([3] + Array("--port\09000\0--open\0--secret=abc\0--max-body\01MiB".utf8))
        for (index, name) in someSettings.enumerated() { seeds.append([4, UInt8(index)] + Array("value-\(name)".utf8)) }
        return seeds
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var reader = FuzzReader(data, size)
    let mode = reader.byte() % 5
    switch mode {
    case 0:
        let text = reader.rest()
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: file, contents: Data(text))
        var first = Settings()
        var second = Settings()
        let a = Result { try first.applyConfigFile(file, environment: ["FUZZ_SECRET": "from-the-environment"]) }
        let b = Result { try second.applyConfigFile(file, environment: ["FUZZ_SECRET": "from-the-environment"]) }
        // the same file reads the same way twice
        switch (a, b) {
        case (.success, .success):
            Fuzz.check(String(describing: first) == String(describing: second), "one file, two readings")
            for endpoint in first.endpoints {
                Fuzz.check(endpoint.name.range(of: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", options: .regularExpression) != nil,
                           "endpoint name \(endpoint.name) accepted")
                if let secret = endpoint.secret, secret.count >= 12 {
                    Fuzz.check(!String(describing: first).contains(secret), "the settings' description shows an endpoint's secret")
                }
            }
        case (.failure(let x), .failure(let y)): Fuzz.check("\(x)" == "\(y)", "one file, two errors: \(x) / \(y)")
        default: Fuzz.fail("one file read once and refused once")
        }
    case 1:
        let text = String(decoding: reader.rest(), as: UTF8.self)
        if let duration = parseDuration(text) {
            Fuzz.check(duration >= .zero, "parseDuration(\(text)) = \(duration)")
            let (seconds, attoseconds) = duration.components
            let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
            Fuzz.check(parseDuration("\(milliseconds)ms") == duration, "parseDuration(\(text)) = \(duration) does not read back from \(milliseconds)ms")
        }
    case 2:
        let text = String(decoding: reader.rest(), as: UTF8.self)
        if let bytes = parseBytes(text) {
            Fuzz.check(bytes > 0, "parseBytes(\(text)) = \(bytes)")
            Fuzz.check(parseBytes("\(bytes)") == bytes && parseBytes("\(bytes)B") == bytes, "parseBytes(\(text)) = \(bytes) does not read back")
        }
    case 3:
        let arguments = reader.rest().split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var settings = Settings()
        do {
            try settings.applyArguments(arguments)
        } catch {
            for (index, argument) in arguments.enumerated() {
                for name in secretSettings {
                    // the value after a secret flag, or after its '='
                    let value: String? = argument == "--" + name && index + 1 < arguments.count ? arguments[index + 1]
                        : argument.hasPrefix("--\(name)=") ? String(argument.dropFirst(name.count + 3)) : nil
                    if let value, value.count >= 6, !value.hasPrefix("-"), !arguments.contains(where: { $0 != value && $0.contains(value) && $0 != argument }) {
                        // the message's own words may hold the value ("atabase" in "--database"): it must not
                        // come from the value, i.e. the same arguments with another value of that length get the same error
                        let other = String(repeating: value.hasPrefix("Q") ? "J" : "Q", count: value.count)
                        var replaced = arguments
                        if argument == "--" + name { replaced[index + 1] = other } else { replaced[index] = "--\(name)=\(other)" }
                        var again = Settings()
                        let otherError = Result { try again.applyArguments(replaced) }
                        if case .failure(let second) = otherError, "\(second)" == "\(error)" { continue }
                        Fuzz.check(!"\(error)".contains(value), "an error shows the value of --\(name): \(error)")
                    }
                }
            }
        }
    default:
        let name = someSettings[Int(reader.byte()) % someSettings.count]
        let text = String(decoding: reader.rest(), as: UTF8.self)
        var settings = Settings()
        do {
            try settings.apply(name, text, from: "fuzz")
        } catch {
            if secretSettings.contains(name) && text.count >= 6 {
                Fuzz.check(!"\(error)".contains(text), "an error shows the value of secret setting \(name): \(error)")
            }
        }
    }
    return 0
}
