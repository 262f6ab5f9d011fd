extension Schema {
    /// The console's pages in a large journal: events and runs by time (the overview's last hour, a time range),
    /// and the dead runs (the failures page) without reading every run.
    static let consoleIndexes = [
        "CREATE INDEX events_received ON events (received_at)",
        "CREATE INDEX runs_started ON runs (started_at)",
        "CREATE INDEX runs_dead ON runs (id) WHERE outcome = 'dead'",
    ]

    /// Which scripts each node runs, as it announces them (`WorkQueue.announce`), for the console's overview.
    static let nodeScripts = [
        "ALTER TABLE nodes ADD COLUMN scripts_version text",
    ]
}
