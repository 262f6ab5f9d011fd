import HostAPI
import Logging
import LuaRuntime
import Observability

/// The scripts folders of a dispatcher, each loaded into a pool of Lua states and loaded again when its files
/// change: a new pool takes the runs that start after the change; runs in flight finish on the old one.
///
/// ```swift
/// let pools = ScriptPools(settings: settings, telemetry: telemetry, logger: logger)
/// let pool = try await pools.load("./scripts", generation: 1)
/// await pools.watch("./scripts", every: .seconds(1), current: { pool.set }) { newPool in install(newPool) }
/// ```
struct ScriptPools: Sendable {
    let poolSize: Int
    let limits: LuaLimits
    let functions: [HostFunction<ScriptContext>]
    let telemetry: Telemetry
    let logger: Logger

    /// The folder's scripts in a new pool, reporting what loading found (compile errors, changes since
    /// `previous`). Without `previous` (at start), a folder that does not exist has no scripts yet; any other
    /// failure to read it is thrown.
    func load(_ folder: String, generation: Int, previous: ScriptSet? = nil) async throws(ScriptFolderError) -> EnginePool {
        let set: ScriptSet
        do throws(ScriptFolderError) {
            set = try await ScriptLoader.load(folder: folder, previous: previous)
        } catch where error.folderIsMissing && previous == nil {
            logger.warning("the scripts folder does not exist: no scripts run until it is created", metadata: ["folder": "\(folder)"])
            set = ScriptSet(folder: folder)
        }
        report(set, previous: previous)
        return await EnginePool.make(set: set, generation: generation, size: poolSize, limits: limits, functions: functions)
    }

    /// Checks the folder every `interval` until cancelled; when its files changed, loads it again and hands the
    /// new pool to `install`. A folder that cannot be read (out of descriptors, say) is an error, never an
    /// empty folder: the scripts loaded before keep running, the error is logged once, and the folder is read
    /// again at the next interval.
    func watch(_ folder: String, every interval: Duration, current: @Sendable () -> ScriptSet?,
               install: @Sendable (EnginePool) -> Void) async {
        var fingerprint = try? ScriptLoader.fingerprint(folder)
        var generation = 1
        var unreadable = false
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard let previous = current() else { continue }
            do throws(ScriptFolderError) {
                let now = try ScriptLoader.fingerprint(folder)
                if now != fingerprint {
                    let pool = try await load(folder, generation: generation + 1, previous: previous)
                    generation += 1
                    install(pool)
                }
                fingerprint = now
            } catch {
                if !unreadable {
                    telemetry.scriptReload(outcome: "failed")
                    logger.error("cannot read the scripts folder; the scripts loaded before keep running, and it is read again every \(interval)",
                                 metadata: ["error": "\(error)", "folder": "\(folder)"])
                }
                unreadable = true
                continue
            }
            if unreadable {
                logger.notice("the scripts folder can be read again", metadata: ["folder": "\(folder)"])
                unreadable = false
            }
        }
    }

    /// Logs what a (re)load found: errors as `path:line: message`, and the scripts added, changed or removed.
    private func report(_ set: ScriptSet, previous: ScriptSet?) {
        for error in set.errors {
            telemetry.scriptReload(outcome: "failed")
            logger.error("script does not compile\(previous == nil ? "" : "; the previous version keeps running")",
                         metadata: ["error": "\(error.description)", "folder": "\(set.folder)"])
        }
        guard let previous else { return }
        let old = Dictionary(uniqueKeysWithValues: previous.scripts.map { ($0.path, $0.version) })
        let new = Dictionary(uniqueKeysWithValues: set.scripts.map { ($0.path, $0.version) })
        var changes: [String] = []
        for (path, version) in new.sorted(by: { $0.key < $1.key }) where old[path] != version {
            changes.append(old[path] == nil ? "added \(path)" : "changed \(path)")
        }
        for path in old.keys.sorted() where new[path] == nil { changes.append("removed \(path)") }
        if previous.modules.mapValues(\.text) != set.modules.mapValues(\.text) { changes.append("lib/ changed") }
        if !changes.isEmpty {
            telemetry.scriptReload(outcome: "loaded")
            logger.notice("scripts reloaded", metadata: ["changes": "\(changes.joined(separator: ", "))", "folder": "\(set.folder)"])
        }
    }
}
