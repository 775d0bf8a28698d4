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
        /// Projects with a field held (an accepted deviation), whatever else.
        package var held = 0
        /// Of the unchanged, those with a field held: in line through an accepted deviation.
        package var heldInLine = 0
    }

    package struct Change: Sendable {
        package var project: Project
        package var changes: [FieldChange]
        /// Its fields held, which the changes leave out.
        package var held: Set<ProfileField> = []
    }

    package var changes: [Change] = []
    package var failures: [(project: Project, failure: RequestFailure?)] = []
    package var counts = Counts()
    /// Per space, in name order: its selected projects, how many are in line with the template
    /// (nothing would change), would change, and could not be read.
    package var spaces: [(space: String, counts: Counts)] = []
    /// Per writable field, the selected projects that hold it.
    package var held: [(field: ProfileField, projects: [Project])] = []

    package init(_ entries: [FleetSession.PlanEntry]) {
        var bySpace: [String: Counts] = [:]
        var heldBy: [ProfileField: [Project]] = [:]
        var heldInLine = 0
        for entry in entries {
            bySpace[entry.project.space, default: Counts()].selected += 1
            if !entry.holds.isEmpty { bySpace[entry.project.space]!.held += 1 }
            for hold in entry.holds { heldBy[hold.field, default: []].append(entry.project) }
            switch entry.outcome {
            case .planned(let current, let desired):
                let changes = current.changes(to: desired)
                if changes.isEmpty {
                    bySpace[entry.project.space]!.unchanged += 1
                    if !entry.holds.isEmpty { heldInLine += 1 }
                } else {
                    bySpace[entry.project.space]!.changing += 1
                    self.changes.append(
                        Change(project: entry.project, changes: changes, held: Set(entry.holds.map(\.field))))
                }
            case .failed(let failure):
                bySpace[entry.project.space]!.failed += 1
                failures.append((entry.project, failure))
            default:
                bySpace[entry.project.space]!.failed += 1
                failures.append((entry.project, nil))
            }
        }
        spaces = bySpace.keys.sorted().map { ($0, bySpace[$0]!) }
        held = ProfileField.allCases.compactMap { field in heldBy[field].map { (field, $0) } }
        counts = Counts(
            selected: entries.count, changing: changes.count, unchanged: entries.count - changes.count - failures.count,
            failed: failures.count, held: bySpace.values.reduce(0) { $0 + $1.held }, heldInLine: heldInLine)
    }

    /// `in line with the template: 3 of 6 projects (space0 2 of 3, space1 1 of 3)`, and how many
    /// hold fields: an accepted deviation counts as in line.
    package var complianceLine: String {
        let perSpace = spaces.map { "\($0.space) \($0.counts.unchanged) of \($0.counts.selected)" }.joined(
            separator: ", ")
        let held = counts.heldInLine == 0 ? "" : "; \(counts.heldInLine) of them through held fields"
        return "in line with the template: \(counts.unchanged) of \(counts.selected) projects (\(perSpace))\(held)"
    }

    /// `held (accepted deviations, left as they are live):` and per field its projects per space.
    package var heldLines: [String] {
        guard !held.isEmpty else { return [] }
        return ["held (accepted deviations, left as they are live; `fleet holds` lists them):"]
            + held.map { "  \($0.field): \(Self.projects($0.projects))" }
    }

    /// `plan --detailed-exitcode`, as terraform's: 0 nothing would change, 2 something would,
    /// 1 a profile could not be read.
    package var detailedStatus: ExitStatus {
        counts.failed > 0 ? .failure : counts.changing > 0 ? .changes : .success
    }

    /// Each field change once, with how many projects it affects and in which spaces; a field
    /// whose new value differs from project to project is one line with an example.
    package func summary(maxVariants: Int = 4, verb: (FieldChange) -> String = { $0.text }) -> [String] {
        var lines: [String] = []
        for field in ProfileField.allCases {
            let changes = self.changes.flatMap { change in
                change.changes.filter { $0.field == field }.map { (change.project, $0) }
            }
            guard !changes.isEmpty else { continue }
            let variants = Dictionary(grouping: changes) { verb($0.1) }
            if variants.count <= maxVariants {
                for text in variants.keys.sorted(by: { (variants[$0]!.count, $1) > (variants[$1]!.count, $0) }) {
                    lines.append("  \(text.escapingControlCharacters): \(Self.projects(variants[text]!.map(\.0)))")
                }
            } else {
                let example = verb(changes[0].1).escapingControlCharacters
                lines.append(
                    "  \(field.key): \(variants.count) different changes, e.g. \(example.dropFirst(field.key.count + 2)): \(Self.projects(changes.map(\.0)))"
                )
            }
        }
        return lines
    }

    /// `12 projects (acme 7, beta 5)`, the five largest spaces named.
    static func projects(_ projects: [Project]) -> String {
        "\(projects.count) \(projects.count == 1 ? "project" : "projects") (\(bySpace(projects.map(\.space))))"
    }

    /// `acme 7, beta 5, …`: how many of `spaces` are each space, the five largest named.
    static func bySpace(_ spaces: [String]) -> String {
        let counts = Dictionary(grouping: spaces, by: { $0 }).mapValues(\.count)
        let names = counts.keys.sorted { (counts[$0]!, $1) > (counts[$1]!, $0) }
        return names.prefix(5).map { "\($0) \(counts[$0]!)" }.joined(separator: ", ") + (names.count > 5 ? ", …" : "")
    }

    /// Every changing project with its changes, then every project that could not be read.
    package func detail(verb: (FieldChange) -> String = { $0.text }) -> [String] {
        changeLines(verb: verb) + failureLines()
    }

    /// What plan and verify print above their totals: every project up to 20 (or with
    /// `detail`); past that, a summary per change (under `changesTitle`) and per failure, and
    /// how to list them all.
    package func listing(
        detail: Bool, changesTitle: String, apiBase: APIBase, verb: (FieldChange) -> String = { $0.text }
    ) -> [String] {
        let summarised = !detail && counts.changing > 20
        var lines = summarised ? [changesTitle] + summary(verb: verb) : changeLines(verb: verb)
        if summarised && !failures.isEmpty { lines.append("") }
        lines +=
            detail || counts.failed <= 20
            ? failureLines()
            : ["could not be read (each failure, with its projects per space):"] + failureSummary(apiBase: apiBase)
        if !detail && (counts.changing > 20 || counts.failed > 20) { lines.append("(`--detail` lists every project)") }
        return lines
    }

    /// Every changing project with its changes.
    package func changeLines(verb: (FieldChange) -> String = { $0.text }) -> [String] {
        changes.flatMap { change -> [String] in
            var lines = [change.project.heading]
            lines += change.changes.map { "    " + verb($0).escapingControlCharacters }
            if !change.held.isEmpty {
                let held = ProfileField.allCases.filter(change.held.contains).map(\.key)
                lines.append("    held: " + held.joined(separator: ", "))
            }
            return lines
        }
    }

    /// The projects that could not be read, one line per kind and message with a count per
    /// space; a space's host in a message reads "the space's host", so a failure shared by every
    /// host (a refused certificate) is one line however many spaces there are.
    package func failureSummary(apiBase: APIBase) -> [String] {
        let groups = Dictionary(grouping: failures) { project, failure -> String in
            guard let failure else { return "not read: interrupted" }
            let message = failure.message.replacingOccurrences(
                of: apiBase.host(space: project.space), with: "the space's host")
            return "\(failure.kind): \(message)"
        }
        return groups.keys.sorted { (groups[$0]!.count, $1) > (groups[$1]!.count, $0) }.map { key in
            "  \(key.escapingControlCharacters): \(Self.projects(groups[key]!.map(\.project)))"
        }
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
        let entries =
            changes.map {
                Entry(
                    space: $0.project.space, project_id: $0.project.projectID, label: $0.project.label,
                    changes: $0.changes, held: $0.held.map(\.key).sorted())
            }
            + failures.map {
                Entry(
                    space: $0.project.space, project_id: $0.project.projectID, label: $0.project.label, changes: [],
                    held: [], error_kind: ($0.failure?.kind ?? .unreachable).rawValue,
                    error: $0.failure?.message ?? "not read: interrupted")
            }
        return try ReportJSON.encode(
            Body(
                template_sha256: templateSHA256, api_base: apiBase.template, selected: counts.selected,
                would_change: counts.changing,
                unchanged: counts.unchanged, failed: counts.failed, held_projects: counts.held, projects: entries,
                spaces: spaces.map {
                    Space(
                        space: $0.space, selected: $0.counts.selected, in_line: $0.counts.unchanged,
                        would_change: $0.counts.changing, failed: $0.counts.failed, held: $0.counts.held)
                },
                held: held.map { field, projects in
                    Held(
                        field: field.key, projects: projects.count,
                        spaces: Dictionary(grouping: projects, by: \.space).mapValues(\.count))
                }))
    }

    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    private struct Entry: Encodable {
        var space: String
        var project_id: String
        var label: String
        var changes: [FieldChange]
        /// Its fields held (left as they are live).
        var held: [String]
        @NullEncoded var error_kind: String?
        @NullEncoded var error: String?
    }
    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    private struct Body: Encodable {
        @NullEncoded var template_sha256: String?
        var api_base: String
        var selected: Int
        var would_change: Int
        var unchanged: Int
        var failed: Int
        var held_projects: Int
        var projects: [Entry]
        var spaces: [Space]
        var held: [Held]
    }
    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    private struct Held: Encodable {
        var field: String
        var projects: Int
        var spaces: [String: Int]
    }
    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    private struct Space: Encodable {
        var space: String
        var selected: Int
        var in_line: Int
        var would_change: Int
        var failed: Int
        var held: Int
    }
}
