import Hummingbird

/// A refusal as a JSON body naming the problem, like the webhook's: `{"error": {"code": ..., "message": ...}}`.
enum ConsoleRejection {
    static func response(_ status: HTTPResponse.Status, code: String, message: String) -> Response {
        var body = #"{"error":{"code":"# + quoted(code) + #","message":"# + quoted(message) + "}}\n"
        body.makeContiguousUTF8()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
