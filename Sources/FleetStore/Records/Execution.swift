import FleetModel
import Foundation
import GRDB

/// A row of `executions`: one time a run was carried out (the first, and each retry).
package struct Execution: FleetRecord, Equatable {
    package static let databaseTableName = "executions"

    package var id: Int64
    package var runID: Int64
    package var number: Int
    package var startedAt: String
    package var finishedAt: String?
    package var ended: RunState?
    package var haltReason: String?
    package var options: ExecutionOptions
    package var tasks: Int
    package var pendingOnly: Bool
    /// Who ran it (nil for executions recorded before fleet kept it), and under which change.
    package var login: String?
    package var host: String?
    package var changeID: String?
    package var reason: String?

    /// The columns queries filter and sort on.
    package enum Columns {
        static let ended = Column("ended")
        static let haltReason = Column("halt_reason")
        static let finishedAt = Column("finished_at")
        static let runID = Column("run_id")
        static let number = Column("number")
    }
}
