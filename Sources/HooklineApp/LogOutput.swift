import Foundation
import JSON
import Logging
import Synchronization

/// Structured logs on standard error, one line per entry: `text` for people, `json` (one object per
/// line) for collectors. Messages and metadata come from Hookline's own code, which never logs secrets,
/// header values, phone numbers or message texts.
package struct LogOutput: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level
    private let format: Settings.LogFormat
    private let label: String
    private let sink: LogSink

    package init(label: String, format: Settings.LogFormat, level: Logger.Level, sink: LogSink = .standardError) {
        self.label = label
        self.format = format
        logLevel = level
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let time = LogOutput.timestamp()
        var line: [UInt8] = []
        switch format {
        case .json:
            line.append(contentsOf: "{\"time\":\"\(time)\",\"level\":\"\(event.level.rawValue)\",\"msg\":".utf8)
            JSONStrings.appendQuoted("\(event.message)", to: &line)
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                line.append(UInt8(ascii: ","))
                JSONStrings.appendQuoted(key, to: &line)
                line.append(UInt8(ascii: ":"))
                JSONStrings.appendQuoted("\(value)", to: &line)
            }
            line.append(contentsOf: "}\n".utf8)
        case .text:
            var text = "\(time) \(event.level.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0))\(event.message)"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                let rendered = "\(value)"
                let safe = rendered.contains(where: { $0 == " " || $0 == "\"" || $0 == "\n" || $0 == "=" })
                    ? JSONStrings.quoted(rendered) : rendered
                text += " \(key)=\(safe)"
            }
            line.append(contentsOf: (text + "\n").utf8)
        }
        sink.write(line)
    }

    static func timestamp() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var parts = tm()
        var seconds = time.tv_sec
        gmtime_r(&seconds, &parts)
        let ms = time.tv_nsec / 1_000_000
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(msText)Z"
    }
}

/// Where log lines go; lines from concurrent tasks never interleave.
public final class LogSink: Sendable {
    private let lock = Mutex<[[UInt8]]?>(nil)
    private let handle: FileHandle?

    /// Standard error.
    package static let standardError = LogSink(handle: FileHandle.standardError)

    private init(handle: FileHandle?) {
        self.handle = handle
    }

    /// A sink that keeps lines in memory (for tests that read the logs).
    package static func memory() -> LogSink {
        let sink = LogSink(handle: nil)
        sink.lock.withLock { $0 = [] }
        return sink
    }

    func write(_ line: [UInt8]) {
        lock.withLock { captured in
            if captured != nil {
                captured!.append(line)
            } else {
                handle?.write(Data(line))
            }
        }
    }

    /// The lines kept by a memory sink.
    package var lines: [String] {
        lock.withLock { $0?.map { String(decoding: $0, as: UTF8.self) } ?? [] }
    }
}
