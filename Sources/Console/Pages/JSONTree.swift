import JSON
import Mustache

/// A JSON body as nested nodes for the `json` template: objects and arrays as collapsible `<details>`, scalars
/// with their kind for highlighting. Every key and value is text that the template escapes.
struct JSONNode: Sendable {
    let hasKey: Bool
    let key: String
    let isContainer: Bool
    /// Open at first: the top levels, so that a body reads without clicking.
    let open: Bool
    let summary: String
    let children: [JSONNode]
    let scalar: String
    let scalarClass: String

    static let openDepth = 3
    /// What intake stores in place of a credential an event echoed back.
    static let redacted = "[redacted]"

    init(_ value: JSONValue, key: String? = nil, depth: Int = 0) {
        hasKey = key != nil
        self.key = key ?? ""
        open = depth < Self.openDepth
        switch value.kind {
        case .object:
            let members = value.members
            isContainer = true
            summary = "{\(members.count)}"
            children = members.map { JSONNode($0.value, key: $0.key, depth: depth + 1) }
            scalar = ""
            scalarClass = ""
        case .array:
            let elements = Array(value.elements)
            isContainer = true
            summary = "[\(elements.count)]"
            children = elements.enumerated().map { JSONNode($0.element, key: String($0.offset), depth: depth + 1) }
            scalar = ""
            scalarClass = ""
        default:
            isContainer = false
            summary = ""
            children = []
            (scalar, scalarClass) = Self.scalar(value)
        }
    }

    private static func scalar(_ value: JSONValue) -> (String, String) {
        let redacted = Self.redacted
        if let string = value.string { return ("\"" + string + "\"", string == redacted ? "json-redacted" : "json-string") }
        if let integer = value.integer { return (String(integer), "json-number") }
        if let number = value.number { return (String(number), "json-number") }
        if let bool = value.bool { return (String(bool), "json-bool") }
        return ("null", "json-null")
    }

    /// The body parsed, or nil when it is not JSON (it is then shown as text).
    static func parse(_ body: [UInt8]) -> JSONNode? {
        guard let document = try? JSONParser.parse(body) else { return nil }
        return JSONNode(document.root)
    }
}

/// Fields by name without reflection: a payload has thousands of nodes, and the template asks each for
/// several fields (through `Mirror`, a 57 KB report's page took 63 ms to render).
extension JSONNode: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "hasKey": hasKey
        case "key": key
        case "isContainer": isContainer
        case "open": open
        case "summary": summary
        case "children": children
        case "scalar": scalar
        case "scalarClass": scalarClass
        default: nil
        }
    }
}
