@testable import EventDispatch
import Testing

/// Which timers `hookline check` finds set by name with no handler: literal names only, with their lines.
@Suite struct TimerHandlerCheckTests {
    static func file(_ path: String, _ type: String, _ source: String) -> ScriptFile {
        ScriptFile(path: path, type: type, source: Array(source.utf8), version: "v")
    }

    @Test func literalNamesAreFoundWithTheirLines() {
        let source = """
            timer.set("a", 5)
            timer.set ( 'b-2' , 5, {x = 1})
            local name = "c" timer.set(name, 5)
            -- timer.set("unterminated
            timer.cancel("d") timer.set("e", 1) timer.set("f", 2)
            """
        let found = ScriptSet.literalTimerNames(in: Array(source.utf8))
        #expect(found.map(\.name) == ["a", "b-2", "e", "f"])
        #expect(found.map(\.line) == [1, 2, 5, 5])
    }

    @Test func onlyTimersWithoutAHandlerAreReported() {
        let set = ScriptSet(folder: "scripts", scripts: [
            Self.file("hang.lua", "hang", #"timer.set("handled", 30) timer.set("orphan", 30)"#),
            Self.file("timers/handled.lua", "timer:handled", "alert{title = 'x'}"),
        ])
        #expect(set.timersWithoutHandler == [ScriptSet.UnhandledTimer(path: "hang.lua", line: 1, name: "orphan")])
    }
}
