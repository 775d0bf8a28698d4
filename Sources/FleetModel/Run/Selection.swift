import Foundation

/// Which projects a command works on: none given means every enabled project. Spaces and
/// projects given are alternatives (any of them); tags given must all be carried, so adding a
/// selection flag never widens a selection.
package struct Selection: Sendable, Codable, Equatable {
    package var spaces: [String]
    package var tags: [String]
    package var projectIDs: [String]
    /// `fleet projects` lists disabled projects too; plan and rollout take enabled ones only.
    package var includeDisabled: Bool

    package init(spaces: [String] = [], tags: [String] = [], projectIDs: [String] = [], includeDisabled: Bool = false) {
        self.spaces = spaces.map { $0.lowercased() }
        self.tags = tags
        self.projectIDs = projectIDs.map { $0.lowercased() }
        self.includeDisabled = includeDisabled
    }

    package var isEmpty: Bool { spaces.isEmpty && tags.isEmpty && projectIDs.isEmpty }
}
