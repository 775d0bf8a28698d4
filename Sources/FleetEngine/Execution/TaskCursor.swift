import FleetModel
import Foundation

/// Where one task stands between two requests.
package struct TaskCursor: Sendable, Equatable {
    /// Its place in the execution's work.
    package var index: Int
    package var phase: RequestPhase = .read
    /// Attempts of the current request.
    package var attempt = 0
    /// HTTP attempts of the task, all requests and executions, for numbering.
    package var requests: Int
    package var hasBefore: Bool
    /// A read after a write that got no answer: it tells whether the write landed, and counts
    /// against the write's attempts.
    package var confirming: Bool

    package init(
        index: Int, phase: RequestPhase = .read, attempt: Int = 0, requests: Int, hasBefore: Bool,
        confirming: Bool = false
    ) {
        self.index = index
        self.phase = phase
        self.attempt = attempt
        self.requests = requests
        self.hasBefore = hasBefore
        self.confirming = confirming
    }
}
