import FleetModel
import Foundation
import GRDB

/// What `fleet import` did.
package struct ImportSummary: Sendable, Equatable {
    package var projects: Int
    package var spaces: Int
    package var new: Int
    package var updated: Int

    package var sentence: String {
        "imported \(projects) \(projects == 1 ? "project" : "projects") in \(spaces) \(spaces == 1 ? "space" : "spaces"): \(new) new, \(updated) updated"
    }
}
