import Foundation

/// How an operator names a project (`fleet history`, `fleet hold`, `--exclude-project`, a line of
/// `--projects-from`): its UUID, `SPACE/UUID` when the id is in several spaces, or a label only
/// one project has. Built once from the inventory, so a file of 1,000 names is looked up, not
/// scanned 1,000 times.
package struct ProjectDirectory: Sendable {
    private var byID: [String: [Project]] = [:]
    private var byLabel: [String: [Project]] = [:]
    private var bySpaceAndID: [String: Project] = [:]

    package init(_ projects: [Project]) {
        for project in projects {
            byID[project.projectID, default: []].append(project)
            if !project.label.isEmpty { byLabel[project.label, default: []].append(project) }
            bySpaceAndID[project.spaceAndID] = project
        }
    }

    /// The project `name` names, or why it names none: nobody has it (with the closest label),
    /// or several do (give one as SPACE/UUID).
    package func project(_ name: String) -> Result<Project, Unresolved> {
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        let matches: [Project]
        if parts.count == 2, UUID(uuidString: parts[1]) != nil {
            matches = bySpaceAndID[name.lowercased()].map { [$0] } ?? []
        } else if UUID(uuidString: name) != nil {
            matches = byID[name.lowercased()] ?? []
        } else {
            matches = byLabel[name] ?? []
        }
        switch matches.count {
        case 1: return .success(matches[0])
        case 0: return .failure(.none(closest: Suggestion.closest(to: name, in: byLabel.keys)))
        default: return .failure(.several(matches))
        }
    }

    package enum Unresolved: Error {
        case none(closest: String?)
        case several([Project])

        /// `names no project in fleet.db` / `names 2 projects (acme/…, beta/…); give one as SPACE/UUID`.
        package func text(in path: String) -> String {
            switch self {
            case .none(let closest):
                "names no project in \(path)"
                    + (closest.map { "; did you mean \($0.escapingControlCharacters)?" } ?? "")
            case .several(let projects):
                "names \(projects.count) projects (\(projects.map(\.spaceAndID).joined(separator: ", "))); give one as SPACE/UUID"
            }
        }
    }
}
