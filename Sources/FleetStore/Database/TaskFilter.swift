import FleetModel
import GRDB

/// Which tasks of a run an execution carries out: a new run's pending ones; a retry's not
/// finished (or, `--pending-only`, never carried to an end), of projects still enabled, but
/// those a later run wrote since the run a rollback undoes.
package struct TaskFilter: Sendable {
    package var unfinished: Bool
    package var enabledOnly: Bool
    package var skipping: Set<Int64>

    /// A new run: its pending tasks (a rollback's conflicts are failed already).
    package static let new = TaskFilter(unfinished: false, enabledOnly: false, skipping: [])

    package init(unfinished: Bool, enabledOnly: Bool, skipping: Set<Int64>) {
        self.unfinished = unfinished
        self.enabledOnly = enabledOnly
        self.skipping = skipping
    }

    /// The clause on tasks (`t`) joined with projects (`p`), and its arguments.
    func sql(runID: Int64, positions: Range<Int>) -> (String, StatementArguments) {
        var clause = "t.run_id = ? AND t.position >= ? AND t.position < ?"
        var arguments: StatementArguments = [runID, positions.lowerBound, positions.upperBound]
        clause += unfinished ? " AND t.state NOT IN ('succeeded', 'unchanged')" : " AND t.state = 'pending'"
        if enabledOnly { clause += " AND p.enabled = 1" }
        if !skipping.isEmpty {
            clause += " AND t.project_ref NOT IN (SELECT value FROM json_each(?))"
            arguments += ["[" + skipping.sorted().map(String.init).joined(separator: ",") + "]"]
        }
        return (clause, arguments)
    }
}
