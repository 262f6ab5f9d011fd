import ArgumentParser
import AsyncHTTPClient
import Basics
import Foundation
import Intake
import JSON
import NIOCore

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Deliver an event to a Hookline exactly as Interactly does: POST, JSON body, x-interactly-secret.",
        discussion: """
            For trying scripts locally without a tunnel. --call-id and --now rewrite the call id and the \
            timestamps, so that one fixture can stand for many calls (deliveries of the same event are otherwise \
            recognised as duplicates).

            The secret comes from --secret, else HOOKLINE_SECRET, else the secret `hookline serve` generated in \
            <data>/secret.

            Examples:
              hookline send Tests/Fixtures/interactly/fixtures/hang.json
              hookline send examples/slack-hang-alerts/events/hang.json --call-id CA-test-1 --now
              hookline send event.json --url http://127.0.0.1:9000/webhook/clinic --secret "$CLINIC_SECRET"
            """
    )

    @Argument(help: "The event body file.")
    var event: String
    @Option(help: "Where to deliver it.")
    var url = "http://127.0.0.1:8080/webhook"
    @Option(help: "The x-interactly-secret header value.")
    var secret: String?
    @Option(help: "Data folder holding a generated secret.")
    var data = "./data"
    @Option(help: "Replace the event's call id with this one.")
    var callID: String?
    @Flag(help: "Move the event's timestamps to now (keeping their spacing).")
    var now = false
    @Option(name: .customLong("header"), help: "Extra header as Name: value (e.g. an endpoint's Authorization); repeatable.")
    var headers: [String] = []

    func run() async throws {
        guard var body = FileManager.default.contents(atPath: event).map({ [UInt8]($0) }) else {
            throw ValidationError("cannot read \(event)")
        }
        do {
            body = try EventRewriter.rewrite(body, callID: callID, now: now ? epochMilliseconds() : nil)
        } catch let failure as EventRewriter.Failure {
            throw ValidationError("--call-id: \(failure)")
        }
        let secret = self.secret ?? ProcessInfo.processInfo.environment["HOOKLINE_SECRET"]
            ?? (try? String(contentsOfFile: (data as NSString).appendingPathComponent("secret"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let secret { request.headers.add(name: "x-interactly-secret", value: secret) }
        for header in headers {
            let parts = header.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw ValidationError("--header takes 'Name: value' (got \(header))") }
            request.headers.add(name: parts[0], value: parts[1])
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(request, timeout: .seconds(20))
            let answer = try await response.body.collect(upTo: 1 << 20)
            print("\(response.status.code) \(response.status.reasonPhrase)")
            print(String(buffer: answer).trimmingCharacters(in: .whitespacesAndNewlines))
            try? await client.shutdown()
            if !(200..<300).contains(response.status.code) { throw ExitCode.failure }
        } catch let error as ExitCode {
            throw error
        } catch {
            try? await client.shutdown()
            print("could not deliver to \(url): \(error)\n(is `hookline serve` running there?)")
            throw ExitCode.failure
        }
    }
}
