import FleetModel
import Foundation
import GRDB

/// A run with its effective state and counts, for `fleet runs`.
package struct RunSummary: Sendable {
    package var run: Run
    package var state: RunState
    package var counts: TaskCounts
    package var duration: Double
    package var rolledBackBy: Int64?
    /// Each time it was executed (a retry is one more): when, by whom, under which change.
    package var executionRecords: [Execution]
    /// How many times it was executed.
    package var executions: Int { executionRecords.count }

    package init(
        run: Run, state: RunState, counts: TaskCounts, duration: Double, rolledBackBy: Int64?, executions: [Execution]
    ) {
        self.run = run
        self.state = state
        self.counts = counts
        self.duration = duration
        self.rolledBackBy = rolledBackBy
        self.executionRecords = executions
    }
}
