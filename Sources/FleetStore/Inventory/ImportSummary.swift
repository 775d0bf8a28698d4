import FleetModel
import Foundation

/// What `fleet import` did (or, for a dry run, would do), per project of the file: new to the
/// inventory, its token changed (whatever else did), another field changed, or identical.
package struct ImportSummary: Sendable, Equatable {
    package var projects = 0
    package var spaces = 0
    package var new = 0
    package var tokenChanged = 0
    package var otherChanged = 0
    package var identical = 0

    /// Counts `file`'s rows against the projects already stored (`stored` finds a row's), as the
    /// import would leave them: a cell the file leaves out keeps the stored value, an empty
    /// variable cell removes the variable. `each` is handed every row once it is counted (the
    /// import writes it there), so the file is read once.
    package init(
        _ file: InventoryFile, vault: TokenVault, stored: (InventoryRow) throws -> Project? = { _ in nil },
        each: (InventoryRow) throws -> Void = { _ in }
    ) throws {
        projects = file.count
        spaces = file.spaces.count
        try file.forEachRow { row in
            try count(row, against: try stored(row), variableColumns: file.variableColumns, vault: vault)
            try each(row)
        }
    }

    private mutating func count(
        _ row: InventoryRow, against stored: Project?, variableColumns: [String], vault: TokenVault
    )
        throws
    {
        guard let stored else {
            new += 1
            return
        }
        if try vault.open(stored.storedToken, project: stored.projectID) != row.token {
            tokenChanged += 1
        } else if Self.changes(row, of: stored, variableColumns: variableColumns) {
            otherChanged += 1
        } else {
            identical += 1
        }
    }

    private static func changes(_ row: InventoryRow, of stored: Project, variableColumns: [String]) -> Bool {
        var variables = stored.variables
        for (name, value) in zip(variableColumns, row.variableValues) { variables[name] = value }
        return (row.label ?? stored.label) != stored.label || (row.tags ?? stored.tags) != stored.tags
            || (row.enabled ?? stored.enabled) != stored.enabled || variables != stored.variables
    }

    package var sentence: String {
        "imported " + counts
    }

    /// The sentence of `fleet import --dry-run`.
    package var preview: String {
        "dry run (nothing was written): would import " + counts
    }

    private var counts: String {
        "\(projects) \(projects == 1 ? "project" : "projects") in \(spaces) \(spaces == 1 ? "space" : "spaces"): "
            + "\(new) new, \(tokenChanged) token changed, \(otherChanged) other changed, \(identical) identical"
    }
}
