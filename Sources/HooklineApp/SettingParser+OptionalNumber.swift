extension SettingParser where Value == Int? {
    /// A whole number in `range`, or nothing (an empty text unsets it): for a default that depends on another
    /// setting.
    package static func optionalNumber(_ range: ClosedRange<Int>, _ placeholder: String, what: String) -> Self {
        let number = SettingParser<Int>.number(range, placeholder, what: what)
        return Self(placeholder: placeholder, expected: number.expected,
                    read: { text, _ in text.isEmpty ? .some(nil) : number.read(text, 0).map { .some($0) } },
                    write: { $0.map(String.init) ?? "" })
    }
}
