import Foundation
import HooklineApp
import Testing
import TestSupport

/// The settings of `hookline serve`, declared once: flags, environment, config file, help and README.
@Suite struct SettingsTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")
    static let begin = "<!-- settings table: written from SettingDeclarations -->"
    static let end = "<!-- end of settings table -->"

    @Test func theReadmeTableIsTheDeclarations() throws {
        let text = try String(contentsOf: Self.readme, encoding: .utf8)
        guard let start = text.range(of: Self.begin + "\n"),
              let stop = text.range(of: "\n" + Self.end, range: start.upperBound..<text.endIndex) else {
            Issue.record("README.md has no lines \(Self.begin) and \(Self.end) around its Configuration table")
            return
        }
        let table = String(text[start.upperBound..<stop.lowerBound])
        guard table != SettingsDocumentation.markdownTable else { return }
        if ProcessInfo.processInfo.environment["HOOKLINE_WRITE_README"] == "1" {
            let written = text.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: SettingsDocumentation.markdownTable)
            try written.write(to: Self.readme, atomically: true, encoding: .utf8)
            Issue.record("README.md's Configuration table differed from SettingDeclarations and was rewritten: review it (git diff)")
        } else {
            Issue.record("""
                README.md's Configuration table differs from SettingDeclarations: run \
                HOOKLINE_WRITE_README=1 swift test --filter SettingsTests to write it, or replace the lines between \
                \(Self.begin) and \(Self.end) with:
                \(SettingsDocumentation.markdownTable)
                """)
        }
    }

    @Test func namesAreUniqueAndEachDefaultReadsBackAsItself() {
        let names = SettingDeclarations.all.map(\.name)
        #expect(Set(names).count == names.count, "\(names)")
        #expect(names.count == SettingDeclarations.byName.count)
        #expect(SettingDeclarations.byName["max-body"]?.environmentVariable == "HOOKLINE_MAX_BODY")
        var unreadable: [String] = []
        for setting in SettingDeclarations.all where !setting.defaultText.isEmpty {
            var settings = Settings()
            if setting.apply(setting.defaultText, to: &settings) {
                #expect(setting.valueText(in: settings) == setting.defaultText, "\(setting.name)")
            } else {
                unreadable.append(setting.name)
            }
        }
        #expect(unreadable == ["max-connections", "workers", "console-port"],
                "only defaults written in words (a share of the descriptor limit, the number of cores, the port + 1) are not values")
    }

    @Test func flagsAreNameValuePairsAndSwitchesMayStandAlone() throws {
        var settings = Settings()
        try settings.applyArguments([
            "--port", "9000", "--open", "--dedup", "false", "--max-body=1MiB", "--http-allow", "a.example",
            "--http-allow", "b.example, c.example", "--reload-interval", "0", "--retention", "0", "--runs-per-worker", "4",
            "--dispatch-window", "64", "--alert-pagerduty-min", "critical", "--log-level", "debug", "--idle-timeout", "250ms",
        ])
        #expect(settings.port == 9000)
        #expect(settings.open)
        #expect(!settings.dedup)
        #expect(settings.maxBody == 1 << 20)
        #expect(settings.httpAllow == ["a.example", "b.example", "c.example"])
        #expect(settings.reloadInterval == .zero)
        #expect(settings.retention == .zero)
        #expect(settings.runsPerWorker == 4)
        #expect(settings.dispatchWindow == 64)
        #expect(settings.alertPagerDutyMin == .critical)
        #expect(settings.logLevel == .debug)
        #expect(settings.idleTimeout == .milliseconds(250))
        #expect(settings.scripts == "./scripts", "untouched settings keep their default")

        var trailing = Settings()
        try trailing.applyArguments(["--port", "1", "--open"])
        #expect(trailing.open)
    }

    @Test func theEnvironmentAndTheConfigFileUseTheSameNames() throws {
        var settings = Settings()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-settings-\(UUID().uuidString).yml")
        try "port: 7000\nallow-env: [A, B]\nscript-timeout: 2s\nreload-interval: 5s\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try settings.applyConfigFile(file.path, environment: [:])
        try settings.applyEnvironment(["HOOKLINE_PORT": "7001", "HOOKLINE_ALLOW_ENV": "C", "HOOKLINE_DISPATCH_WINDOW": "10"])
        #expect(settings.port == 7001)
        #expect(settings.allowEnv == ["A", "B", "C"])
        #expect(settings.scriptTimeout == .seconds(2))
        #expect(settings.reloadInterval == .seconds(5))
        #expect(settings.dispatchWindow == 10)
    }

    @Test func errorsNameTheSettingWhereItCameFromAndWhatToWrite() {
        func failure(_ arguments: [String], environment: [String: String] = [:]) -> String {
            var settings = Settings()
            do {
                try settings.applyEnvironment(environment)
                try settings.applyArguments(arguments)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(failure(["--prot", "1"]) == "unknown setting --prot, did you mean --port? (see hookline serve --help)")
        #expect(failure(["--port", "x"]) == "--port must be a port number (0-65535) (got 'x')")
        #expect(failure(["--max-body"]) == "--max-body needs a value (a size such as 4MiB, 512KiB or 1000000)")
        #expect(failure(["--retention", "a month"]).contains("a duration such as"))
        #expect(failure(["scripts"]).contains("'scripts': not a setting"))
        #expect(failure([], environment: ["HOOKLINE_WORKERS": "0"])
            == "environment variable HOOKLINE_WORKERS: workers must be a number of Lua states (1 or more) (got '0')")
    }

    /// Found by the config fuzz target (FuzzTargets/Targets/config): "infs", "1e300s" and "infB" trapped in the
    /// conversion of the number to an integer, so `--idle-timeout infs` crashed `hookline serve`.
    @Test func sizesAndDurationsOutOfRangeAreRefusedNotACrash() throws {
        for text in ["infs", "inf ms", "1e300s", "nans", "99999999999999999999d", "1e16s"] {
            #expect(parseDuration(text) == nil, "\(text)")
        }
        for text in ["infB", "1e300MB", "nanKiB", "1e19B", "0.5B", "9223372036854775808B"] {
            #expect(parseBytes(text) == nil, "\(text)")
        }
        #expect(parseDuration("292y") == nil)
        #expect(parseDuration("106751d") == .milliseconds(106_751 * 86_400_000))
        #expect(parseDuration("1.5s") == .milliseconds(1500))
        #expect(parseBytes("1.5KiB") == 1536)
        #expect(parseBytes("4611686018427387904B") == 1 << 62)
        // a whole number of a unit is exact, as without one (found by the fuzz target too: 5555555555555555755
        // read back as 5555555555555555840 with a "B")
        #expect(parseBytes("9007199254740993B") == 9_007_199_254_740_993)
        #expect(parseBytes("5555555555555555755B") == parseBytes("5555555555555555755"))
        #expect(parseBytes("8589934591GiB") == 8_589_934_591 << 30)
        #expect(parseBytes("8589934592GiB") == nil)
        var settings = Settings()
        #expect(throws: SettingsError.self) { try settings.applyArguments(["--idle-timeout", "infs"]) }
        #expect(throws: SettingsError.self) { try settings.applyArguments(["--max-body", "1e300GiB"]) }
    }

    /// Found by the config fuzz target: an endpoint with two unknown keys was refused naming either one, as the
    /// dictionary's order of the moment had it; the same file must always get the same error.
    @Test func aConfigFileGetsTheSameErrorEveryTime() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("hookline.yml")
        try "endpoints:\n  clinic:\n    secret: s\n    zeta: 1\n    beta: 2\n    alpha: 3\n    omega: 4\n".write(to: file, atomically: true, encoding: .utf8)
        var errors = Set<String>()
        for _ in 0..<20 {
            var settings = Settings()
            do {
                try settings.applyConfigFile(file.path, environment: [:])
            } catch {
                errors.insert("\(error)")
            }
        }
        #expect(errors == ["\(file.path): endpoints.clinic.alpha is not an endpoint setting (secret, secret_env, headers, events, scripts)"])
    }

    /// Found by the config fuzz target: a map or a list used as a key (`? ...`) crashed the YAML reader (Yams's
    /// `load` unwraps the key as text), so a mistyped config file crashed `hookline serve`.
    @Test func aKeyThatIsNotTextIsAnErrorNotACrash() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hookline-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("hookline.yml")
        for (text, line) in [("port: 9000\n? [a, b]\n: 1\n", 2), ("endpoints:\n  clinic:\n    ? secret_env: X\n    : 1\n", 3),
                             ("http-allow:\n  - {? {a: 1} : b}\n", 2)] {
            try text.write(to: file, atomically: true, encoding: .utf8)
            var settings = Settings()
            #expect {
                try settings.applyConfigFile(file.path, environment: [:])
            } throws: { error in
                "\(error)".hasPrefix("\(file.path): line \(line): a key must be text")
            }
        }
    }

    /// Found by the config fuzz target: a flag without its value took the next flag as its value, and the
    /// error showed it whole, a secret included ("--port must be a port number (got '--alert-pagerduty=...')").
    @Test func aFlagWithoutItsValueDoesNotTakeTheNextFlag() {
        for arguments in [["--port", "--alert-pagerduty=hunter2-routing"], ["--max-body", "--secret", "hunter2-secret"]] {
            var settings = Settings()
            #expect {
                try settings.applyArguments(arguments)
            } throws: { error in
                "\(error)" == "\(arguments[0]) needs a value (\(arguments[0] == "--port" ? "a port number (0-65535)" : "a size such as 4MiB, 512KiB or 1000000"))"
            }
        }
        var settings = Settings()
        #expect(throws: Never.self) { try settings.applyArguments(["--host", "--not-a-setting"]) }
        #expect(settings.host == "--not-a-setting")
    }

    @Test func secretsAreNeverPrintedWithTheirValues() {
        let secrets = SettingDeclarations.all.filter(\.isSecret).map(\.name)
        #expect(Set(secrets) == ["secret", "database", "alert-slack", "alert-webhook", "alert-pagerduty", "console-token"])
        var settings = Settings()
        settings.secret = "hunter2-secret"
        settings.alertSlack = "https://hooks.slack.com/services/T0/B0/hunter2-slack"
        settings.alertPagerDuty = "hunter2-routing"
        settings.consoleToken = "hunter2-console"
        settings.endpoints = [.init(name: "clinic", secret: "hunter2-clinic", headers: [("Authorization", "Bearer hunter2-header")])]
        var dumped = ""
        dump(settings, to: &dumped)
        for shown in [settings.description, "\(settings)", String(reflecting: settings), dumped] {
            #expect(!shown.contains("hunter2"), "\(shown)")
            #expect(shown.contains("secret: set") || shown.contains("secret: \"set\""), "\(shown)")
        }
        #expect(settings.description.contains("alert-webhook: not set"))

        var stray = Settings()
        #expect(throws: SettingsError.self) { try stray.applyArguments(["--secret", "hunter2-a", "hunter2-b"]) }
        do {
            try stray.applyArguments(["--secret", "hunter2-a", "hunter2-b"])
        } catch {
            #expect(!"\(error)".contains("hunter2"), "\(error)")
        }
    }
}
