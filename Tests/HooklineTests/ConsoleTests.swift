import AsyncHTTPClient
import Foundation
import HooklineApp
import NIOCore
import NIOHTTP1
import NIOPosix
import TestSupport
import Testing

/// The web console over real HTTP, without a browser (Tests/Browser drives one): where it listens, its token,
/// its cookies and headers, and the refusals. What a page shows is checked in the browser.
@Suite struct ConsoleTests {
    @Test func theTokenIsGeneratedOwnerOnlyAndKeptAcrossRestarts() async throws {
        let scratch = Scratch()
        let first = try await withServer(scratch: scratch) { server in
            #expect(server.hookline.consolePort != nil && server.hookline.consolePort != server.port)
            return try #require(scratch.read("data/console-token"))
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.path + "/data/console-token")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(first.trimmingCharacters(in: .whitespacesAndNewlines).count == 64)
        let second = try await withServer(scratch: scratch) { _ in scratch.read("data/console-token") }
        #expect(second == first, "the stored token is kept")
    }

    @Test func pagesNeedALoginAndEveryAnswerCarriesTheSecurityHeaders() async throws {
        try await withServer { server in
            try await withConsoleClient { client in
                let console = try #require(server.hookline.consolePort)
                let page = try await client.get(console, "/console/events")
                #expect(page.status == 302 && page.headers.first(name: "Location") == "/console/login")
                let stream = try await client.get(console, "/console/events/live")
                #expect(stream.status == 401 && stream.text.contains("\"not_signed_in\""))
                for answer in [page, stream, try await client.get(console, "/console/login")] {
                    let policy = answer.headers.first(name: "Content-Security-Policy") ?? ""
                    #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'")
                            && !policy.contains("unsafe-inline"), "\(policy)")
                    #expect(answer.headers.first(name: "X-Content-Type-Options") == "nosniff")
                }
            }
        }
    }

    @Test func theSessionCookieIsStrictAndHttpOnlyAndSecureBehindATLSProxy() async throws {
        try await withServer(configure: { $0.consoleToken = "console-test-token" }) { server in
            try await withConsoleClient { client in
                let console = try #require(server.hookline.consolePort)
                let plain = try await client.get(console, "/console/login")
                let cookie = try #require(plain.headers.first(name: "Set-Cookie"))
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"), "\(cookie)")
                let proxied = try await client.get(console, "/console/login", headers: [("X-Forwarded-Proto", "https")])
                #expect(proxied.headers.first(name: "Set-Cookie")?.contains("; Secure") == true)

                let session = String(cookie.prefix { $0 != ";" })
                let csrf = try #require(plain.text.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
                let withoutToken = try await client.post(console, "/console/login", form: "token=console-test-token", cookie: session)
                #expect(withoutToken.status == 403 && withoutToken.text.contains("\"csrf_token_missing\""))
                let wrong = try await client.post(console, "/console/login", form: "csrf=\(csrf)&token=nope", cookie: session)
                #expect(wrong.status == 401 && wrong.text.contains("not the console token"))
                let right = try await client.post(console, "/console/login", form: "csrf=\(csrf)&token=console-test-token", cookie: session)
                #expect(right.status == 303 && right.headers.first(name: "Location") == "/console/events")
                let signedIn = String(try #require(right.headers.first(name: "Set-Cookie")).prefix { $0 != ";" })
                #expect(signedIn != session, "a login gets a new session id")
                #expect(try await client.get(console, "/console/events", cookie: signedIn).status == 200)
                let missing = try await client.get(console, "/console/no-such-page", cookie: signedIn)
                #expect(missing.status == 404 && missing.text.contains("the console has no page at /console/no-such-page"))
                #expect(try await client.get(console, "/console/events", cookie: session).status == 302,
                        "the session from before the login is not signed in")
            }
        }
    }

    @Test func noConsoleMeansNoConsole() async throws {
        try await withServer(configure: { $0.noConsole = true }) { server in
            #expect(server.hookline.consolePort == nil)
            #expect(!FileManager.default.fileExists(atPath: server.scratch.path + "/data/console-token"))
        }
    }

    @Test func aConsolePortInUseLeavesTheWebhookServing() async throws {
        let taken = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(taken.localAddress?.port)
        try await withServer(configure: { $0.consolePort = port }) { server throws in
            #expect(server.hookline.consolePort == nil)
            // the console's service logs its failure to listen on its own, not necessarily before the start returns
            try await eventually("the console's failure to listen is logged", timeout: .seconds(10)) {
                server.logs.lines.contains { $0.contains("the console cannot listen") && $0.contains("--console-port") }
            }
            #expect(try await server.post(fixture: "fixtures/hang.json").status == 200)
        }
        try await taken.close()
    }
}

/// A client that does not follow redirects, for the console's answers as they are.
struct ConsoleClient {
    let client: HTTPClient

    func get(_ port: Int, _ path: String, cookie: String? = nil, headers: [(String, String)] = []) async throws -> ConsoleAnswer {
        try await send("GET", port, path, body: nil, headers: headers + (cookie.map { [("Cookie", $0)] } ?? []))
    }

    func post(_ port: Int, _ path: String, form: String, cookie: String) async throws -> ConsoleAnswer {
        try await send("POST", port, path, body: form,
                       headers: [("Cookie", cookie), ("Content-Type", "application/x-www-form-urlencoded")])
    }

    private func send(_ method: String, _ port: Int, _ path: String, body: String?, headers: [(String, String)]) async throws -> ConsoleAnswer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return ConsoleAnswer(status: Int(response.status.code), headers: response.headers, body: Array(bytes.readableBytesView))
    }
}

struct ConsoleAnswer {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
}

func withConsoleClient(_ body: (ConsoleClient) async throws -> Void) async throws {
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    do {
        try await body(ConsoleClient(client: client))
    } catch {
        try await client.shutdown()
        throw error
    }
    try await client.shutdown()
}
