import Journal

/// `timer.set` calls with a literal name whose timer has no handler in the folder: it would come due, be
/// logged and counted, and do nothing. Found by reading the sources (a name built at run time is not seen),
/// for `hookline check`.
///
/// ```swift
/// for missing in set.timersWithoutHandler {
///     print("\(missing.path):\(missing.line): warning: no timers/\(missing.name).lua handles this timer")
/// }
/// ```
extension ScriptSet {
    package struct UnhandledTimer: Sendable, Equatable {
        package var path: String
        package var line: Int
        package var name: String
    }

    package var timersWithoutHandler: [UnhandledTimer] {
        let sources = scripts.map { ($0.path, $0.source) } + modules.values.map { ($0.name, $0.text) }
        var found: [UnhandledTimer] = []
        for (path, source) in sources.sorted(by: { $0.0 < $1.0 }) {
            for (line, name) in Self.literalTimerNames(in: source) where scripts(for: Timers.eventType(name)).isEmpty {
                found.append(UnhandledTimer(path: path, line: line, name: name))
            }
        }
        return found
    }

    /// `timer.set("name"` and `timer.set('name'` (spaces allowed around the parenthesis), with their lines.
    static func literalTimerNames(in source: [UInt8]) -> [(line: Int, name: String)] {
        let call = Array("timer.set".utf8)
        var found: [(Int, String)] = []
        var line = 1
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\n") { line += 1 }
            guard source[index...].starts(with: call) else { index += 1; continue }
            var position = index + call.count
            func skipSpaces() { while position < source.count, source[position] == 32 || source[position] == 9 { position += 1 } }
            skipSpaces()
            guard position < source.count, source[position] == UInt8(ascii: "(") else { index = position; continue }
            position += 1
            skipSpaces()
            guard position < source.count, source[position] == UInt8(ascii: "\"") || source[position] == UInt8(ascii: "'") else {
                index = position
                continue
            }
            let quote = source[position]
            let start = position + 1
            var end = start
            while end < source.count, source[end] != quote, source[end] != UInt8(ascii: "\n") { end += 1 }
            if end < source.count, source[end] == quote {
                found.append((line, String(decoding: source[start..<end], as: UTF8.self)))
            }
            index = end
        }
        return found
    }
}
