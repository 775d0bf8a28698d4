/// One error a user can act on: a sentence that names the file, line, field or project and says
/// what to do next. Commands print `message` (and `details`, one per line, first) to stderr and
/// exit with `status`.
package struct FleetError: Error, CustomStringConvertible, Sendable, Equatable {
    package var message: String
    /// Lines printed before the message, such as `FILE:LINE: reason` for every bad row.
    package var details: [String]
    package var status: ExitStatus

    package init(_ message: String, details: [String] = [], status: ExitStatus = .dataError) {
        self.message = message
        self.details = details
        self.status = status
    }

    package var description: String { message }

    package static func usage(_ message: String) -> FleetError {
        FleetError(message, status: .usage)
    }

    package static func `internal`(_ message: String) -> FleetError {
        FleetError(message, status: .internalError)
    }

    package static func io(_ message: String) -> FleetError {
        FleetError(message, status: .ioError)
    }
}
