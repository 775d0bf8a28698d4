import FleetModel
import Foundation
import GRDB

/// A run being executed by this process: its row, its lock and the execution in progress.
package struct RunHandle: Sendable {
    package var run: Run
    package let lock: RunLock
    package var execution: Execution
}
