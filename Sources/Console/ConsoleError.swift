/// Why the console cannot start, said for the operator.
package struct ConsoleError: Error, CustomStringConvertible, Sendable {
    package let description: String
    package init(_ description: String) { self.description = description }
}
