import Crypto
import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// How a run's execution ended, and the rollback `--rollback-on-halt` started, if it did.
package struct RunOutcome: Sendable, Equatable {
    package var runID: Int64
    package var end: ExecutionEnd
    package var rollback: RollbackOutcome?
}
