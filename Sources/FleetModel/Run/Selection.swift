import Foundation

/// Which projects a command works on: none given means every enabled project. Spaces and
/// projects given are alternatives (any of them); tags given must all be carried, so adding a
/// selection flag never widens a selection. Exclusions leave out every project that matches any
/// of them; the kinds combine as AND.
package struct Selection: Sendable, Codable, Equatable {
    package var spaces: [String]
    package var tags: [String]
    package var projectIDs: [String]
    package var excludedSpaces: [String]
    package var excludedTags: [String]
    package var excludedProjectIDs: [String]
    /// `fleet projects` lists disabled projects too; plan and rollout take enabled ones only.
    package var includeDisabled: Bool

    package init(
        spaces: [String] = [], tags: [String] = [], projectIDs: [String] = [], excludedSpaces: [String] = [],
        excludedTags: [String] = [], excludedProjectIDs: [String] = [], includeDisabled: Bool = false
    ) {
        self.spaces = spaces.map { $0.lowercased() }
        self.tags = tags
        self.projectIDs = projectIDs.map { $0.lowercased() }
        self.excludedSpaces = excludedSpaces.map { $0.lowercased() }
        self.excludedTags = excludedTags
        self.excludedProjectIDs = excludedProjectIDs.map { $0.lowercased() }
        self.includeDisabled = includeDisabled
    }

    package var isEmpty: Bool { spaces.isEmpty && tags.isEmpty && projectIDs.isEmpty && !excludes }

    /// Whether it leaves anything out.
    package var excludes: Bool { !excludedSpaces.isEmpty || !excludedTags.isEmpty || !excludedProjectIDs.isEmpty }

    /// The same selection without its exclusions.
    package var unexcluded: Selection {
        Selection(spaces: spaces, tags: tags, projectIDs: projectIDs, includeDisabled: includeDisabled)
    }

    /// `space globex, tag frozen, 2 projects`: what it leaves out, for the preflight line.
    package var exclusionText: String? {
        guard excludes else { return nil }
        let parts =
            excludedSpaces.map { "space \($0)" } + excludedTags.map { "tag \($0)" }
            + (excludedProjectIDs.count == 1
                ? ["project \(excludedProjectIDs[0])"]
                : excludedProjectIDs.isEmpty ? [] : ["\(excludedProjectIDs.count) projects"])
        return parts.joined(separator: ", ").escapingControlCharacters
    }

    private enum CodingKeys: String, CodingKey {
        case spaces, tags, projectIDs, excludedSpaces, excludedTags, excludedProjectIDs, includeDisabled
    }

    /// Runs recorded before exclusions existed have none.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func list(_ key: CodingKeys) throws -> [String] {
            try container.decodeIfPresent([String].self, forKey: key) ?? []
        }
        self.init(
            spaces: try list(.spaces), tags: try list(.tags), projectIDs: try list(.projectIDs),
            excludedSpaces: try list(.excludedSpaces), excludedTags: try list(.excludedTags),
            excludedProjectIDs: try list(.excludedProjectIDs),
            includeDisabled: try container.decodeIfPresent(Bool.self, forKey: .includeDisabled) ?? false)
    }
}
