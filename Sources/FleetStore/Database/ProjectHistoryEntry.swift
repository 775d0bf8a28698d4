import FleetModel
import Foundation
import GRDB

/// One run's part in a project's story, for `fleet history`.
package struct ProjectHistoryEntry: Sendable {
    package var run: Run
    package var runState: RunState
    package var task: RunTask
    package var attempts: [AttemptRow]
    package var before: String?
    package var after: String?
    package var rolledBackBy: Int64?
}
