import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// The accounts the simulator accepts: space → project id → token.
package struct SimulatorAccounts: Sendable {
    package var tokens: [String: [String: String]]

    package init(_ tokens: [String: [String: String]] = [:]) { self.tokens = tokens }

    /// From inventory CSVs, read with the same parser as `fleet import`; a later file's token for
    /// a project replaces an earlier one's (a token rotated in SignalWire).
    package static func fromCSV(paths: [String]) throws -> SimulatorAccounts {
        var accounts = SimulatorAccounts()
        for path in paths {
            for row in try InventoryFile.load(path: path).rows {
                accounts.tokens[row.space, default: [:]][row.projectID] = row.token
            }
        }
        return accounts
    }

    /// From a fleet database, opening sealed tokens with `vault`.
    package static func fromDatabase(_ database: FleetDatabase, vault: TokenVault) throws -> SimulatorAccounts {
        var accounts = SimulatorAccounts()
        for project in try database.projects(Selection(includeDisabled: true)) {
            accounts.tokens[project.space, default: [:]][project.projectID] = try vault.open(
                project.storedToken, project: project.projectID)
        }
        return accounts
    }

    package var projectCount: Int { tokens.values.reduce(0) { $0 + $1.count } }
}
