import FleetModel
import Foundation
import GRDB

/// A row of `space_rates`.
package struct SpaceRate: FleetRecord, Equatable {
    package static let databaseTableName = "space_rates"

    package var runID: Int64
    package var space: String
    package var rate: Double
    package var throttled: Int
    package var stopped: String?

    /// The columns queries filter and sort on.
    package enum Columns {
        static let runID = Column("run_id")
        static let space = Column("space")
    }
}
