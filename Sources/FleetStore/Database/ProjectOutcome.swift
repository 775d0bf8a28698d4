import FleetModel
import Foundation
import GRDB

/// One project's outcome in a run, as status shows it.
package struct ProjectOutcome: Sendable, Equatable {
    package var space: String
    package var projectID: String
    package var label: String
    package var status: TaskState
    package var wave: Int
    package var attempts: Int
    package var httpStatus: Int?
    package var errorKind: ErrorKind?
    package var error: String?
}
