import EventDispatch

/// Scripts' sources as the dispatcher has them loaded, for showing the line an error names.
struct ScriptLookup: Sendable {
    let sets: [ScriptSet]

    func file(_ path: String) -> ScriptFile? {
        for set in sets { if let file = set.scripts.first(where: { $0.path == path }) { return file } }
        return nil
    }

    /// Line `number` (from 1) of the script's current source.
    func line(_ number: Int, of path: String) -> String? {
        guard let file = file(path) else { return nil }
        let lines = String(decoding: file.source, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.indices.contains(number - 1) ? String(lines[number - 1]) : nil
    }
}
