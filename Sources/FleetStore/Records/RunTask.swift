import FleetModel
import Foundation
import GRDB

/// A row of `tasks`.
package struct RunTask: FleetRecord, Equatable {
    package static let databaseTableName = "tasks"

    package var id: Int64
    package var runID: Int64
    package var projectRef: Int64
    package var position: Int
    package var wave: Int
    package var state: TaskState
    package var attempts: Int
    package var httpStatus: Int?
    package var errorKind: ErrorKind?
    package var error: String?
    /// Profiles as JSON text, read with fleet's own JSON reader (`SipProfile.decode`) when a
    /// retry or rollback loads every task of a run: through `JSONDecoder` they cost a tenth of
    /// a rollout's CPU.
    package var desired: String?
    package var expected: String?
    package var updatedAt: String

    /// The columns queries filter and sort on.
    package enum Columns {
        static let attempts = Column("attempts")
        static let updatedAt = Column("updated_at")
        static let runID = Column("run_id")
        static let projectRef = Column("project_ref")
        static let position = Column("position")
        static let state = Column("state")
    }
}
