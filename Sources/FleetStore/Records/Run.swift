import FleetModel
import Foundation
import GRDB

/// A row of `runs`. Its kind and state are decoded strictly: an unknown value is an error.
package struct Run: FleetRecord, Equatable {
    package static let databaseTableName = "runs"

    package var id: Int64
    package var kind: RunKind
    package var state: RunState
    package var templateName: String
    package var template: String
    package var templateSHA256: String
    package var selection: Selection
    package var options: ExecutionOptions
    package var rollbackOf: Int64?
    package var haltReason: String?
    package var startedAt: String
    package var finishedAt: String?
    /// Where the run's requests went; nil for runs recorded before fleet kept it.
    package var apiBase: String?
    package var planSHA256: String?
    /// The holds in effect on its projects when it was made; nil for runs recorded before holds.
    package var holds: [HeldField]?
    /// The change (ticket) and reason it was made under.
    package var changeID: String?
    package var reason: String?

    /// The columns queries filter and sort on.
    package enum Columns {
        static let state = Column("state")
        static let finishedAt = Column("finished_at")
        static let haltReason = Column("halt_reason")
        static let rollbackOf = Column("rollback_of")
        static let id = Column("id")
    }
}
