import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// `fleet history`: one project's runs, attempts and profiles.
package enum HistoryReport {
    package static func text(_ project: Project, _ entries: [ProjectHistoryEntry]) -> [String] {
        var lines = [
            "project \(project.heading) (\(project.enabled ? "enabled" : "disabled")\(project.tags.isEmpty ? "" : ", tags " + project.tags.joined(separator: ";")))"
        ]
        if entries.isEmpty { return lines + ["no run has touched it yet"] }
        for entry in entries {
            let what =
                entry.run.rollbackOf.map { "rollback of run \($0)" }
                ?? "rollout of \(entry.run.templateName.escapingControlCharacters)"
            let task = entry.task
            let undone = entry.rolledBackBy.map { " (rolled back by run \($0))" } ?? ""
            var summary =
                "run \(entry.run.id): \(what), \(entry.runState)\(undone); the project \(task.state.rawValue) after \(task.attempts) \(task.attempts == 1 ? "attempt" : "attempts")"
            if let kind = task.errorKind { summary += " (\(kind): \((task.error ?? "").escapingControlCharacters))" }
            lines += ["", summary]
            if let change = StatusReport.changeLine(entry.run) { lines.append("  " + change) }
            for attempt in entry.attempts {
                let status = attempt.httpStatus.map(String.init) ?? "—"
                let failure =
                    attempt.errorKind.map { "  \($0): \((attempt.message ?? "").escapingControlCharacters)" } ?? ""
                lines.append(
                    "  \(attempt.number) \(attempt.method) \(attempt.startedAt) \(status) \(Int(attempt.durationMs.rounded())) ms\(failure)"
                )
            }
            if let before = entry.before { lines.append("  before: \(profileText(before))") }
            if let after = entry.after { lines.append("  after:  \(profileText(after))") }
        }
        return lines
    }

    /// A stored profile as one line of its writable fields.
    static func profileText(_ json: String) -> String {
        guard let profile = SipProfile.decode(Data(json.utf8)) else { return json.escapingControlCharacters }
        return ProfileField.allCases.map { "\($0.key) \($0.value(in: profile).shortText)" }.joined(separator: ", ")
            .escapingControlCharacters
    }

    /// The JSON of a project's history: each run that touched it (`runs[i]` the summary of
    /// `entries[i]`'s run) as `fleet runs --json` shows it, with the project's part in it.
    package static func json(_ project: Project, _ entries: [ProjectHistoryEntry], runs: [RunSummary]) throws -> String
    {
        let runs = zip(entries, runs).map { entry, summary in
            Entry(
                run: RunJSON(summary), status: entry.task.state.rawValue, wave: entry.task.wave,
                error_kind: entry.task.errorKind?.rawValue, error: entry.task.error,
                attempts: entry.attempts.map {
                    Attempt(
                        number: $0.number, method: $0.method, started_at: $0.startedAt, duration_ms: $0.durationMs,
                        http_status: $0.httpStatus, error_kind: $0.errorKind?.rawValue, message: $0.message)
                },
                before: entry.before.flatMap { JSONValue.parse(Data($0.utf8)) },
                after: entry.after.flatMap { JSONValue.parse(Data($0.utf8)) })
        }
        return try ReportJSON.encode(
            Body(space: project.space, project_id: project.projectID, label: project.label, runs: runs))
    }

    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    private struct Attempt: Encodable {
        var number: Int
        var method: String
        var started_at: String
        var duration_ms: Double
        @NullEncoded var http_status: Int?
        @NullEncoded var error_kind: String?
        @NullEncoded var message: String?
    }
    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    private struct Entry: Encodable {
        var run: RunJSON
        var status: String
        var wave: Int
        @NullEncoded var error_kind: String?
        @NullEncoded var error: String?
        var attempts: [Attempt]
        @NullEncoded var before: JSONValue?
        @NullEncoded var after: JSONValue?
    }
    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    private struct Body: Encodable {
        var space: String
        var project_id: String
        var label: String
        var runs: [Entry]
    }
}
