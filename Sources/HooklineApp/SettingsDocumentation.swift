/// The settings as people read them, written from `SettingDeclarations`: the list in
/// `hookline serve --help` and the README's Configuration table (a test keeps the README's copy equal).
///
///     print(SettingsDocumentation.helpText())       // --host <address>   Address to listen on; ...
package enum SettingsDocumentation {
    /// Each setting as `--name <placeholder>` with its help, default and environment variable, wrapped to
    /// `width` columns with the help in a column of its own, as swift-argument-parser lays out options.
    package static func helpText(width: Int = 78) -> String {
        let indent = 2, column = 26
        return SettingDeclarations.all.map { setting in
            let label = String(repeating: " ", count: indent) + usage(setting)
            var facts = ["default: \(setting.defaultText.isEmpty ? "none" : setting.defaultText)", "env: \(setting.environmentVariable)"]
            if setting.isSecret { facts.append("secret: never printed") }
            let lines = wrap("\(setting.help) (\(facts.joined(separator: ", ")))", width: width - column)
            let pad = String(repeating: " ", count: column)
            let first = label.count < column - 1 ? label + String(repeating: " ", count: column - label.count) + lines[0]
                                                 : label + "\n" + pad + lines[0]
            return ([first] + lines.dropFirst().map { pad + $0 }).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// The README's Configuration table, in Markdown.
    package static var markdownTable: String {
        let rows = SettingDeclarations.all.map { setting in
            let meaning = setting.help + (setting.isSecret ? " Secret: never printed." : "")
            let shown = setting.defaultText.isEmpty ? "none" : "`\(setting.defaultText)`"
            // A `|` inside a cell, even in code, would end the cell.
            let cells = ["`\(usage(setting))`", "`\(setting.environmentVariable)`", shown, meaning]
            return "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
        }
        return (["| Flag (config key without `--`) | Environment | Default | Meaning |", "|---|---|---|---|"] + rows)
            .joined(separator: "\n")
    }

    /// `--max-body <size>`; an on/off setting that is off by default is a bare flag: `--open`.
    static func usage(_ setting: any AnySetting) -> String {
        if setting.isSwitch, setting.defaultText == "false" { return setting.flag }
        return "\(setting.flag) <\(setting.placeholder)>"
    }

    /// Words in lines of at most `width` characters (a longer word stands alone).
    private static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return lines + [line]
    }
}
