import LuaRuntime

/// Comparisons for script tests, on values copied out of Lua.
enum ValueMatching {
    /// Deep equality, where a table marked as a JSON array equals the same sequence without the mark.
    static func equal(_ a: LuaValue, _ b: LuaValue) -> Bool {
        switch (a, b) {
        case (.table(let x), .table(let y)):
            return x.array.count == y.array.count && zip(x.array, y.array).allSatisfy(equal)
                && x.fields.count == y.fields.count && x.fields.allSatisfy { key, value in y.fields[key].map { equal(value, $0) } ?? false }
        case (.integer(let x), .number(let y)), (.number(let y), .integer(let x)):
            return Double(x) == y
        default:
            return a == b
        }
    }

    /// Whether `actual` has everything `expected` has: tables compare field by field (extra fields in
    /// `actual` are fine), sequences element by element; scalars must be equal.
    static func contains(_ actual: LuaValue, _ expected: LuaValue) -> Bool {
        switch (actual, expected) {
        case (.table(let x), .table(let y)):
            guard y.array.isEmpty || x.array.count == y.array.count else { return false }
            return zip(x.array, y.array).allSatisfy(contains)
                && y.fields.allSatisfy { key, value in x.fields[key].map { contains($0, value) } ?? false }
        default:
            return equal(actual, expected)
        }
    }

    /// A value written as Lua source, for failure messages.
    static func literal(_ value: LuaValue, depth: Int = 0) -> String {
        switch value {
        case .nil: return "nil"
        case .boolean(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .number(let number): return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) + ".0" : String(number)
        case .bytes(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            let shown = text.count > 200 ? String(text.prefix(200)) + "..." : text
            return "\"" + shown.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        case .null: return "json.null"
        case .opaque(let type): return "<\(type)>"
        case .table(let table):
            if depth > 4 { return "{...}" }
            var parts = table.array.map { literal($0, depth: depth + 1) }
            for (key, field) in table.fields.sorted(by: { $0.key < $1.key }) {
                let name = key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !(key.first?.isNumber ?? true)
                    ? key : "[\"\(key)\"]"
                parts.append("\(name) = \(literal(field, depth: depth + 1))")
            }
            return "{" + parts.joined(separator: ", ") + "}"
        }
    }
}
