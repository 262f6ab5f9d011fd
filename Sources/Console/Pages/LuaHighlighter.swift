/// Splits a Lua script's lines into tokens for highlighting (keywords, strings, comments, numbers, the rest),
/// carrying long strings and long comments (`[[ ]]`, `--[==[ ]==]`) from line to line. The template escapes each
/// token's text; nothing here makes markup.
struct LuaHighlighter {
    struct Token: Sendable {
        let text: String
        let kind: String
    }

    struct Line: Sendable {
        let tokens: [Token]
    }

    static let keywords: Set<String> = [
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in", "local", "nil",
        "not", "or", "repeat", "return", "then", "true", "until", "while",
    ]

    /// Inside a long bracket that began on an earlier line: its closing `]==]` and the kind of token it makes.
    private var open: (closing: [Character], kind: String)?

    static func lines(_ source: String) -> [Line] {
        var highlighter = LuaHighlighter()
        return source.split(separator: "\n", omittingEmptySubsequences: false).map { highlighter.line(Array($0)) }
    }

    private mutating func line(_ characters: [Character]) -> Line {
        var tokens: [Token] = []
        var index = 0
        var plain = ""
        func emit(_ text: String, _ kind: String) {
            if !plain.isEmpty { tokens.append(Token(text: plain, kind: "plain")); plain = "" }
            if !text.isEmpty { tokens.append(Token(text: text, kind: kind)) }
        }
        while index < characters.count {
            if let (closing, kind) = open {
                let end = find(closing, in: characters, from: index)
                emit(String(characters[index..<(end ?? characters.count)]), kind)
                index = end ?? characters.count
                if end != nil { open = nil }
                continue
            }
            let character = characters[index]
            let rest = characters[index...]
            if rest.starts(with: ["-", "-"]) {
                if let closing = longBracket(characters, at: index + 2) {
                    open = (closing.closing, "comment")
                    emit(String(characters[index..<closing.contentStart]), "comment")
                    index = closing.contentStart
                } else {
                    emit(String(rest), "comment")
                    index = characters.count
                }
            } else if character == "[", let closing = longBracket(characters, at: index) {
                open = (closing.closing, "string")
                emit(String(characters[index..<closing.contentStart]), "string")
                index = closing.contentStart
            } else if character == "\"" || character == "'" {
                var end = index + 1
                while end < characters.count, characters[end] != character {
                    end += characters[end] == "\\" ? 2 : 1
                }
                end = min(end + 1, characters.count)
                emit(String(characters[index..<end]), "string")
                index = end
            } else if character.isLetter || character == "_" {
                var end = index
                while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" { end += 1 }
                let word = String(characters[index..<end])
                if Self.keywords.contains(word) { emit(word, "keyword") } else { plain += word }
                index = end
            } else if character.isNumber {
                var end = index
                while end < characters.count, characters[end].isHexDigit || ".xXpP".contains(characters[end]) { end += 1 }
                emit(String(characters[index..<end]), "number")
                index = end
            } else {
                plain.append(character)
                index += 1
            }
        }
        emit("", "plain")
        return Line(tokens: tokens)
    }

    /// A long bracket opening at `index` (`[[`, `[==[`): where its content starts and what closes it.
    private func longBracket(_ characters: [Character], at index: Int) -> (contentStart: Int, closing: [Character])? {
        guard index < characters.count, characters[index] == "[" else { return nil }
        var level = 0
        var cursor = index + 1
        while cursor < characters.count, characters[cursor] == "=" { level += 1; cursor += 1 }
        guard cursor < characters.count, characters[cursor] == "[" else { return nil }
        return (cursor + 1, ["]"] + Array(repeating: "=", count: level) + ["]"])
    }

    /// The index just past `closing` in `characters` from `start`, or nil when this line does not close it.
    private func find(_ closing: [Character], in characters: [Character], from start: Int) -> Int? {
        var index = start
        while index + closing.count <= characters.count {
            if Array(characters[index..<index + closing.count]) == closing { return index + closing.count }
            index += 1
        }
        return nil
    }
}
