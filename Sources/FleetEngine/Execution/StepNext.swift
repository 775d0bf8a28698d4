import FleetModel
import Foundation

/// What the scheduler does with the task after one answer.
package enum StepNext: Sendable, Equatable {
    /// Send the next request (the write after a read) as soon as the space allows.
    case send(TaskCursor)
    /// Send the same request again after a wait, holding no concurrency slot meanwhile.
    case retry(TaskCursor, after: Duration)
    case finish(TaskOutcome)
}
