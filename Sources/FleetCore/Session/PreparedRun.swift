import Crypto
import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// A run ready to start or resume: everything checked, every body rendered, every token opened,
/// nothing recorded and nothing sent yet.
package struct PreparedRun: Sendable {
    enum Start: Sendable {
        case new(RunSpec)
        case resume(runID: Int64, pendingOnly: Bool)
    }

    package let preflight: Preflight
    let start: Start
    /// The work, with task ids to fill in for a new run.
    let work: [TaskWork]
    let options: ExecutionOptions
    let apiBase: APIBase
    /// Who runs it and under which change, its window and its notify command: set by the
    /// command before it executes.
    package var change = ChangeRecord()
}
