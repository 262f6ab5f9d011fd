import ArgumentParser
import Foundation
import Journal
import PostgresJournal

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Work on the journal itself: move it from one node's SQLite file into PostgreSQL.",
        subcommands: [Copy.self]
    )

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy a node's SQLite journal (events with their bodies, runs, the scripts' store, pending timers) into PostgreSQL.",
            discussion: """
                For growing from one node to several: stop `hookline serve` on the node, copy, then start the nodes \
                on the database. The schema is created if the database has none.

                Events get new ids in PostgreSQL, in the order they had (ids in old logs or responses do not carry \
                over); their deduplication keys are kept, so a re-delivery of a copied event is still a duplicate. \
                Running the copy again copies nothing twice: events already there (by their keys) and store values \
                already there (by key) are left as they are. Pending events become work for the first node that \
                asks. Pending timers are copied (a call's timer already there by name is left as it is) and come due \
                as they would have. Alert-folding state is not copied (it only spans minutes).

                Examples:
                  hookline journal copy --from ./data --to postgres://hookline@db.internal/hookline --password-file /run/secrets/db
                  HOOKLINE_DATABASE_PASSWORD=... hookline journal copy --to 'postgres://hookline@db/hookline?sslmode=verify-full&sslrootcert=ca.pem' --password-env HOOKLINE_DATABASE_PASSWORD
                """
        )

        @Option(help: "The data folder of the SQLite journal.")
        var from = "./data"
        @Option(help: ArgumentHelp("The PostgreSQL database: postgres://user@host:port/database[?sslmode=...&sslrootcert=...].",
                                   valueName: "url"))
        var to: String
        @Option(help: ArgumentHelp("Read the database password from this file (instead of the URL).", valueName: "path"))
        var passwordFile: String?
        @Option(help: ArgumentHelp("Read the database password from this environment variable.", valueName: "name"))
        var passwordEnv: String?
        @Option(help: "Events per batch (one transaction each).")
        var batch = 500

        func validate() throws {
            if passwordFile != nil && passwordEnv != nil { throw ValidationError("give --password-file or --password-env, not both") }
            if batch < 1 { throw ValidationError("--batch must be at least 1") }
        }

        func run() async throws {
            let password: PostgresConfiguration.PasswordSource? = passwordFile.map { .file($0) } ?? passwordEnv.map { .environment($0) }
            let configuration: PostgresConfiguration
            do {
                configuration = try PostgresConfiguration.parse(to, password: password)
            } catch {
                throw ValidationError(error.description)
            }
            let source = try openJournal(from)
            let target: PostgresJournal
            do {
                target = try await PostgresJournal(configuration)
            } catch {
                await source.close()
                throw ValidationError(error.message)
            }
            print("copying \(from) into \(configuration)")
            let started = ContinuousClock.now
            do {
                let done = try await JournalCopy.run(from: source, to: target, batchSize: batch) { progress in
                    print("  events: \(progress.read) of \(progress.total) read, \(progress.copied) copied "
                          + "(\(progress.present) there already), \(progress.runs) runs")
                }
                print("""
                    done in \(seconds(started.duration(to: .now))): \
                    \(done.copied) events and \(done.runs) runs copied, \(done.present) events there already, \
                    \(done.storeValues) store values and \(done.timers) pending timers copied
                    """)
            } catch {
                await source.close()
                await target.close()
                throw ValidationError("the copy stopped: \(error.message); run it again to go on (nothing is copied twice)")
            }
            await source.close()
            await target.close()
        }
    }
}

/// "2.4 s".
private func seconds(_ duration: Duration) -> String {
    let (whole, fraction) = duration.components
    return String(format: "%.1f s", Double(whole) + Double(fraction) / 1e18)
}
