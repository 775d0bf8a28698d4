import FleetModel
import Foundation
import GRDB

/// A task still to do, with its project as the inventory has it now.
package struct PendingTask: Sendable {
    package var task: RunTask
    package var project: Project
    package var hasBefore: Bool
}
