import JSON
import NIOHTTP1

/// A response ready to write: status, headers beyond the ones every response gets, and the body.
struct Answer: Sendable {
    var status: HTTPResponseStatus
    var headers: [(String, String)] = []
    var contentType = "application/json"
    var body: [UInt8]
}

/// Small JSON bodies written by hand: every rejection names the problem in a stable `code` and a
/// readable `message`, with the JSON pointer of the value when there is one.
enum JSONResponse {
    static func make(_ status: HTTPResponseStatus, _ fields: [(String, JSONField)], headers: [(String, String)] = []) -> Answer {
        var out: [UInt8] = [UInt8(ascii: "{")]
        append(fields, to: &out)
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
        return Answer(status: status, headers: headers, body: out)
    }

    static func error(_ status: HTTPResponseStatus, code: String, message: String, pointer: String? = nil,
                      headers: [(String, String)] = []) -> Answer {
        var fields: [(String, JSONField)] = [("code", .string(code)), ("message", .string(message))]
        if let pointer { fields.append(("pointer", .string(pointer))) }
        return make(status, [("error", .object(fields))], headers: headers)
    }

    /// The start of a text from the request, to quote in an answer: at most `limit` characters (a 64 KiB
    /// path is not echoed back whole), with "..." when cut. Quoting in JSON escapes it.
    static func excerpt(_ text: String, limit: Int = 100) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return text }
        return String(String.UnicodeScalarView(scalars.prefix(limit))) + "..."
    }

    private static func append(_ fields: [(String, JSONField)], to out: inout [UInt8]) {
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONStrings.appendQuoted(key, to: &out)
            out.append(UInt8(ascii: ":"))
            append(value, to: &out)
        }
    }

    private static func append(_ value: JSONField, to out: inout [UInt8]) {
        switch value {
        case .string(let text): JSONStrings.appendQuoted(text, to: &out)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .strings(let texts):
            out.append(UInt8(ascii: "["))
            for (index, text) in texts.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONStrings.appendQuoted(text, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            append(fields, to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }
}

enum JSONField {
    case string(String)
    case bool(Bool)
    case int(Int)
    case strings([String])
    case object([(String, JSONField)])
}
