import Crypto
import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// A run ready to start or resume: everything checked, every body rendered once, nothing recorded
/// and nothing sent yet. Its tasks are read from the database as it runs.
package struct PreparedRun: Sendable {
    enum Start: Sendable {
        case new(RunSpec)
        case resume(runID: Int64, pendingOnly: Bool)
    }

    package let preflight: Preflight
    let start: Start
    /// How many tasks it sends, and which of the run's tasks they are.
    let tasks: Int
    var filter = TaskFilter.new
    let options: ExecutionOptions
    let apiBase: APIBase
    /// Who runs it and under which change, its window and its notify command: set by the
    /// command before it executes.
    package var change = ChangeRecord()
}
