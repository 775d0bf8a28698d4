import FleetModel
import Foundation
import GRDB

/// Task counts by state, as reports show them.
package struct TaskCounts: Sendable, Codable, Equatable {
    package var total = 0
    package var succeeded = 0
    package var unchanged = 0
    package var failed = 0
    package var pending = 0
    package var running = 0

    package init() {}

    package mutating func add(_ count: Int, in state: TaskState) {
        total += count
        switch state {
        case .succeeded: succeeded += count
        case .unchanged: unchanged += count
        case .failed: failed += count
        case .running: running += count
        case .pending: pending += count
        }
    }

    /// A task that a dead or finished execution left `running` is pending for the operator.
    mutating func settle(runState: RunState) {
        guard runState != .running else { return }
        pending += running
        running = 0
    }

    /// Every task ended succeeded or unchanged.
    package var allGood: Bool { succeeded + unchanged == total }
}
