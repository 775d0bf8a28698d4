import Foundation

/// A project of the inventory with its space's name, as commands use it.
package struct Project: Sendable, Equatable, Codable {
    /// The row id in `projects` (tasks refer to it).
    package var id: Int64
    package var space: String
    package var projectID: String
    /// As stored: plain, or sealed with FLEET_KEY. Open it with `TokenVault.open` for a request only.
    package var storedToken: String
    package var label: String
    package var tags: [String]
    package var variables: [String: String]
    package var enabled: Bool

    package init(
        id: Int64, space: String, projectID: String, storedToken: String, label: String, tags: [String],
        variables: [String: String], enabled: Bool
    ) {
        self.id = id
        self.space = space
        self.projectID = projectID
        self.storedToken = storedToken
        self.label = label
        self.tags = tags
        self.variables = variables
        self.enabled = enabled
    }

    /// `acme/4f1c2a8e-…`: the project in its space, as a line of `--projects-from` names it.
    package var spaceAndID: String { "\(space)/\(projectID)" }

    /// `acme 4f1c2a8e-… Acme HQ`, with the label's control characters escaped.
    package var heading: String {
        "\(space) \(projectID)\(label.isEmpty ? "" : " \(label.escapingControlCharacters)")"
    }
}
