import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// What `fleet plan` (and `fleet verify`) read: per project, the changes a write would make (or
/// the drift from what a run wrote), and the projects that could not be read.
package struct PlanReport: Sendable {
    package struct Counts: Sendable, Equatable {
        package var selected = 0
        package var changing = 0
        package var unchanged = 0
        package var failed = 0
    }

    package struct Change: Sendable {
        package var project: Project
        package var changes: [FieldChange]
    }

    package var changes: [Change] = []
    package var failures: [(project: Project, failure: RequestFailure?)] = []
    package var counts = Counts()

    package init(_ entries: [FleetSession.PlanEntry]) {
        counts.selected = entries.count
        for entry in entries {
            switch entry.outcome {
            case .planned(let current, let desired):
                let changes = current.changes(to: desired)
                if changes.isEmpty {
                    counts.unchanged += 1
                } else {
                    self.changes.append(Change(project: entry.project, changes: changes))
                }
            case .failed(let failure):
                failures.append((entry.project, failure))
            default:
                failures.append((entry.project, nil))
            }
        }
        counts.changing = changes.count
        counts.failed = failures.count
    }

    /// Each field change once, with how many projects it affects and in which spaces; a field
    /// whose new value differs from project to project is one line with an example.
    package func summary(maxVariants: Int = 4) -> [String] {
        var lines: [String] = []
        for field in ProfileField.allCases {
            let changes = self.changes.flatMap { change in
                change.changes.filter { $0.field == field }.map { (change.project, $0) }
            }
            guard !changes.isEmpty else { continue }
            let variants = Dictionary(grouping: changes) { $0.1.text }
            if variants.count <= maxVariants {
                for text in variants.keys.sorted(by: { (variants[$0]!.count, $1) > (variants[$1]!.count, $0) }) {
                    lines.append("  \(text.escapingControlCharacters): \(Self.projects(variants[text]!.map(\.0)))")
                }
            } else {
                let example = changes[0].1.text.escapingControlCharacters
                lines.append(
                    "  \(field.key): \(variants.count) different changes, e.g. \(example.dropFirst(field.key.count + 2)): \(Self.projects(changes.map(\.0)))"
                )
            }
        }
        return lines
    }

    /// `12 projects (acme 7, beta 5)`, the five largest spaces named.
    static func projects(_ projects: [Project]) -> String {
        let bySpace = Dictionary(grouping: projects, by: \.space).mapValues(\.count)
        let spaces = bySpace.keys.sorted { (bySpace[$0]!, $1) > (bySpace[$1]!, $0) }
        let shown =
            spaces.prefix(5).map { "\($0) \(bySpace[$0]!)" }.joined(separator: ", ") + (spaces.count > 5 ? ", …" : "")
        return "\(projects.count) \(projects.count == 1 ? "project" : "projects") (\(shown))"
    }

    /// Every changing project with its changes, then every project that could not be read.
    package func detail(verb: (FieldChange) -> String = { $0.text }) -> [String] {
        changes.flatMap { change in
            [change.project.heading] + change.changes.map { "    " + verb($0).escapingControlCharacters }
        }
            + failureLines()
    }

    package func failureLines() -> [String] {
        failures.flatMap { project, failure in
            [
                project.heading,
                failure.map { "    cannot read: \($0.kind): \($0.message)" } ?? "    not read: interrupted",
            ]
        }
    }

    /// The JSON of `fleet plan --json`: the changes with their values as JSON values.
    package func json(templateSHA256: String?, apiBase: APIBase) throws -> String {
        // Its properties are the JSON keys of the schema, snake_case as written.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Entry: Encodable {
            var space: String
            var project_id: String
            var label: String
            var changes: [FieldChange]
            @NullEncoded var error_kind: String?
            @NullEncoded var error: String?
        }
        // Its properties are the JSON keys of the schema, snake_case as written.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Body: Encodable {
            @NullEncoded var template_sha256: String?
            var api_base: String
            var selected: Int
            var would_change: Int
            var unchanged: Int
            var failed: Int
            var projects: [Entry]
        }
        let entries =
            changes.map {
                Entry(
                    space: $0.project.space, project_id: $0.project.projectID, label: $0.project.label,
                    changes: $0.changes)
            }
            + failures.map {
                Entry(
                    space: $0.project.space, project_id: $0.project.projectID, label: $0.project.label, changes: [],
                    error_kind: ($0.failure?.kind ?? .unreachable).rawValue,
                    error: $0.failure?.message ?? "not read: interrupted")
            }
        return try ReportJSON.encode(
            Body(
                template_sha256: templateSHA256, api_base: apiBase.template, selected: counts.selected,
                would_change: counts.changing,
                unchanged: counts.unchanged, failed: counts.failed, projects: entries))
    }
}
