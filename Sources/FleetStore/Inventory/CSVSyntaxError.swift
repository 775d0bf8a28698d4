import FleetModel

/// A place where the file is not RFC 4180.
package struct CSVSyntaxError: Sendable, Equatable {
    package var line: Int
    package var reason: String

    package init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}
