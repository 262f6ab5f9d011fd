import ArgumentParser

@main
struct HooklineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookline",
        abstract: "Receive Interactly webhooks, keep every event, and run your Lua scripts for each one.",
        discussion: """
            Start with `hookline serve` (no configuration needed), point Interactly's assistantServer.url at it, and \
            put scripts named after event types in ./scripts: hang.lua, conversation-update.lua, end-of-call-report.lua, \
            error.lua, status-update.lua (or any.lua for every event).
            """,
        subcommands: [ServeCommand.self, CheckCommand.self, RunCommand.self, TestCommand.self, SendCommand.self,
                      EventsCommand.self, TimersCommand.self, ReplayCommand.self, ShadowCommand.self, JournalCommand.self]
    )
}
