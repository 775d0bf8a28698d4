import Foundation

/// An accepted deviation: one field of one project that plan and rollout leave as it is live,
/// whatever the template says, until it is ended (`fleet unhold`) or lapses (`--until`).
package struct Hold: Sendable, Equatable {
    /// The project's row id.
    package var projectRef: Int64
    package var space: String
    package var projectID: String
    package var label: String
    package var field: ProfileField
    package var reason: String
    /// `login@host` of whoever placed it.
    package var heldBy: String
    package var heldAt: Date
    package var until: Date?

    package init(
        projectRef: Int64, space: String, projectID: String, label: String, field: ProfileField, reason: String,
        heldBy: String, heldAt: Date, until: Date?
    ) {
        self.projectRef = projectRef
        self.space = space
        self.projectID = projectID
        self.label = label
        self.field = field
        self.reason = reason
        self.heldBy = heldBy
        self.heldAt = heldAt
        self.until = until
    }

    /// Whether it still applies at `now`: a hold lapses at its `until`.
    package func isInEffect(at now: Date) -> Bool {
        until.map { now < $0 } ?? true
    }

    /// What a saved plan and a run record keep of it.
    package var held: HeldField {
        HeldField(space: space, project_id: projectID, field: field, reason: reason)
    }
}

/// A held field as a saved plan and a run record keep it: which project, which field, and why.
// Its properties are the JSON keys of the schema, snake_case as written.
// swift-format-ignore: AlwaysUseLowerCamelCase
package struct HeldField: Sendable, Equatable, Codable, Hashable {
    package var space: String
    package var project_id: String
    package var field: ProfileField
    package var reason: String

    package init(space: String, project_id: String, field: ProfileField, reason: String) {
        self.space = space
        self.project_id = project_id
        self.field = field
        self.reason = reason
    }

    /// The project and field, reasons aside: what decides what a rollout writes.
    package var key: String { "\(space)/\(project_id)/\(field.key)" }
}

extension ProfilePatch {
    /// The patch without `fields`, which keep their live value.
    package func holding(_ fields: Set<ProfileField>) -> ProfilePatch {
        fields.isDisjoint(with: self.fields)
            ? self : ProfilePatch(applied(to: SipProfile()), fields: self.fields.subtracting(fields))
    }
}
