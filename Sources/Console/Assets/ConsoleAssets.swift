import Hummingbird

/// The console's only assets, written for it and served from memory: one stylesheet, one script.
enum ConsoleAssets {
    static func response(named name: String) throws -> Response {
        let (body, type): (String, String) = switch name {
        case "console.css": (stylesheet, "text/css; charset=utf-8")
        case "console.js": (script, "text/javascript; charset=utf-8")
        default: throw HTTPError(.notFound, message: "no console asset \(name)")
        }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "private, max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
