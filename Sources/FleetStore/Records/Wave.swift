import FleetModel
import Foundation
import GRDB

/// A row of `waves`: one stage of a staged run.
package struct Wave: FleetRecord, Equatable {
    package static let databaseTableName = "waves"

    package enum State: String, Sendable, Codable, DatabaseValueConvertible {
        case pending, running, baking, gating, passed, halted
    }

    package var runID: Int64
    package var number: Int
    package var endPosition: Int
    package var state: State
    package var bakeUntil: String?
    package var gateStatus: Int?
    package var gateOutput: String?

    /// The columns queries filter and sort on.
    package enum Columns {
        static let runID = Column("run_id")
        static let number = Column("number")
    }
}
