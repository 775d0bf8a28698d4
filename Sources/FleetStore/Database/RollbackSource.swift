import FleetModel
import Foundation
import GRDB

/// One project a run may have changed, as a rollback of it needs it.
package struct RollbackSource: Sendable {
    package var projectRef: Int64
    package var before: SipProfile
    /// What the run wrote there, when the database knows it (nil: a rollout's write that was never
    /// confirmed, whose body the template gives).
    package var written: SipProfile?
    /// Whether the run knows its write landed (the task succeeded).
    package var confirmed: Bool
    /// The latest run that wrote the project after this one (a rollback of this one aside).
    package var laterRun: Int64?
}
