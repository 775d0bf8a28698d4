import FleetModel
import Foundation
import GRDB

/// A row of `attempts`: one HTTP request of a task.
package struct AttemptRow: FleetRecord, Equatable {
    package static let databaseTableName = "attempts"

    package var id: Int64
    package var taskID: Int64
    package var number: Int
    package var method: String
    package var startedAt: String
    package var durationMs: Double
    package var httpStatus: Int?
    package var errorKind: ErrorKind?
    package var message: String?

    /// The columns queries filter and sort on.
    package enum Columns {
        static let taskID = Column("task_id")
        static let number = Column("number")
    }
}
