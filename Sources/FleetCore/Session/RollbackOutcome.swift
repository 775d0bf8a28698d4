import Crypto
import FleetEngine
import FleetModel
import FleetStore
import Foundation

package struct RollbackOutcome: Sendable, Equatable {
    package var runID: Int64
    package var end: ExecutionEnd
}
