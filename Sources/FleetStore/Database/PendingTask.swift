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
        taskID = row[0]
        position = row[1]
        attempts = row[2]
        desired = row[3]
        expected = row[4]
        project = try Project(row: row, at: 5)
        hasBefore = row[13]
    }

    /// The columns `init(row:)` reads, in its order, from tasks (`t`) joined with projects and
    /// spaces.
    static let columns = """
        t.id AS task_id, t.position, t.attempts, t.desired, t.expected, \(Project.columns),
        EXISTS (SELECT 1 FROM snapshots WHERE task_id = t.id AND kind = 'before') AS has_before
        """
}
