import ArgumentParser
import Foundation
import ScriptTools

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run script tests (files ending in _test.lua) with mocked effects.",
        discussion: """
            A test file sits beside the scripts it tests. Each test(name, function() ... end) starts with a fresh, \
            mocked world: run(script, event) executes the real script, mock.http{...} scripts HTTP responses, and \
            expect.alert{...}, expect.http_post{...}, expect.file(path, {...}) check what it did.

              test("alerts on a hang", function()
                run("hang.lua", fixture("events/hang.json"))
                expect.alert{severity = "critical", title_contains = "hang"}
              end)

            Examples:
              hookline test                         # every test under ./scripts
              hookline test examples                # every example's tests
              hookline test scripts/hang_test.lua   # one file
            """
    )

    @Argument(help: "A folder to search for *_test.lua files, or one test file.")
    var path = "./scripts"

    func run() async throws {
        let files = ScriptTests.discover(path)
        guard !files.isEmpty else {
            print("no test files (*_test.lua) under \(path)")
            throw ExitCode.failure
        }
        var passed = 0
        var failed = 0
        for file in files {
            print(file)
            let result = await ScriptTests.run(file: file) { name, failure in
                if let failure {
                    print("  ✘ \(name)")
                    print(failure.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n"))
                } else {
                    print("  ✔ \(name)")
                }
            }
            if let error = result.error {
                print("  ✘ the file could not run:")
                print(error.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n"))
            }
            passed += result.passed
            failed += result.failed
        }
        print("\n\(passed + failed) test\(passed + failed == 1 ? "" : "s") in \(files.count) file\(files.count == 1 ? "" : "s"): \(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
