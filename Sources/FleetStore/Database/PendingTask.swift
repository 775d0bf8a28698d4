import FleetModel
import Foundation
import GRDB

/// A task still to do, with its project as the inventory has it now.
package struct PendingTask: Sendable {
    package var taskID: Int64
    package var position: Int
    /// HTTP attempts it made in earlier executions.
    package var attempts: Int
    /// The exact body to write and the profile expected live, as JSON text (a rollback's, a
    /// saved plan's).
    package var desired: String?
    package var expected: String?
    package var project: Project
    /// Whether its "before" snapshot is on disk.
    package var hasBefore: Bool

    init(row: Row) throws {
        taskID = row["task_id"]
        position = row["position"]
        attempts = row["attempts"]
        desired = row["desired"]
        expected = row["expected"]
        hasBefore = row["has_before"]
        project = try Project(row: row)
    }

    /// The columns `init(row:)` reads, from tasks (`t`) joined with projects and spaces.
    static let columns = """
        t.id AS task_id, t.position, t.attempts, t.desired, t.expected, \(Project.columns),
        EXISTS (SELECT 1 FROM snapshots WHERE task_id = t.id AND kind = 'before') AS has_before
        """
}
