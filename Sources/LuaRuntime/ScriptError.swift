/// Why a script did not compile or a run did not finish: what, in which script, at which line.
public struct ScriptError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The script (or a module it requires) does not compile.
        case compile
        /// The script raised an error, or a host call it made failed and it did not catch that.
        case runtime
        /// The run passed its wall-clock deadline.
        case timeout
        /// The state passed its memory cap.
        case memory
    }

    public var kind: Kind
    /// The script's name as the runtime knows it (its chunk name, e.g. `hang.lua`).
    public var script: String
    /// The line in `script` (or `source`, where the problem was in a module) when known.
    public var line: Int?
    /// Where the line is, when that is not the script itself (a module in `lib/`).
    public var source: String?
    public var message: String
    public var traceback: String?

    public init(kind: Kind, script: String, line: Int? = nil, source: String? = nil, message: String,
                traceback: String? = nil) {
        self.kind = kind
        self.script = script
        self.line = line
        self.source = source
        self.message = message
        self.traceback = traceback
    }

    /// `path:line: message`, the form compilers use, so editors and CI can jump to it.
    public var description: String {
        let file = source ?? script
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }

    /// Splits Lua's "source:line: message" form when it names a location.
    static func parse(_ text: String) -> (source: String, line: Int, message: String)? {
        // Lua writes "<short_src>:<line>: <message>"; sources may contain ':' but never ": " before the line.
        var searchStart = text.startIndex
        while let colon = text[searchStart...].firstIndex(of: ":") {
            let afterColon = text.index(after: colon)
            let digits = text[afterColon...].prefix(while: \.isNumber)
            if !digits.isEmpty, let line = Int(digits) {
                let rest = text[digits.endIndex...]
                if rest.hasPrefix(": ") {
                    return (String(text[..<colon]), line, String(rest.dropFirst(2)))
                }
            }
            searchStart = afterColon
        }
        return nil
    }
}
