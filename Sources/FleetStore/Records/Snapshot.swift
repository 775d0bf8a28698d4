import FleetModel
import Foundation
import GRDB

/// A row of `snapshots`: the profile a task found before its first write, or the one the API
/// answered after it, as JSON.
package struct Snapshot: FleetRecord, Equatable {
    package static let databaseTableName = "snapshots"

    package enum Kind: String, Sendable, Codable, DatabaseValueConvertible { case before, after }

    package var taskID: Int64
    package var kind: Kind
    package var profile: String
    package var takenAt: String

    /// The columns queries filter and sort on.
    package enum Columns {
        static let taskID = Column("task_id")
    }
}
