import FleetModel
import Foundation

/// One validated row of an inventory CSV. Optional columns the file does not have are `nil`, so
/// a re-import leaves those values as they were.
package struct InventoryRow: Sendable, Equatable {
    package var line: Int
    package var space: String
    /// Kept as 16 bytes rather than a 36-character string: rows are many.
    package var project: UUID
    package var token: String
    package var label: String?
    package var tags: [String]?
    package var enabled: Bool?
    /// Template variables, in the order of `InventoryFile.variableColumns`; `nil` for an empty
    /// cell (the variable is removed). An array rather than a dictionary per row keeps a
    /// 100,000-row import small.
    package var variableValues: [String?]

    /// The canonical, lower-case form fleet stores and sends.
    package var projectID: String { project.uuidString.lowercased() }
}
