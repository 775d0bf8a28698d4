import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// `fleet report`: a run's change record for a change ticket: the run and who ran it when and
/// why, what it applied (template or plan), to what (selection, holds) and how (options, waves,
/// gates), per space what happened (with its 429s and final rate), the field changes it made
/// summarised, its failures grouped, the rollback either way, and a timeline of completions.
/// Read from the database alone; figures are those of `fleet status --json`.
package struct ChangeReport: Sendable {
    package var status: StatusReport
    package var timeline: RunTimeline
    /// The changes the run's confirmed writes made: each project's "before" against what was written.
    package var changes: PlanReport
    package var generatedAt: Date

    package struct SpaceRow: Sendable, Equatable {
        package var space: String
        package var counts = TaskCounts()
        package var throttled = 0
        package var rate: Double?
        package var stopped: String?
        package var firstRequest: Date?
        package var lastRequest: Date?
    }

    package var spaces: [SpaceRow] {
        var rows: [String: SpaceRow] = [:]
        for project in status.projects {
            rows[project.space, default: SpaceRow(space: project.space)].counts.add(1, in: project.status)
        }
        for rate in status.spaces {
            rows[rate.space, default: SpaceRow(space: rate.space)].throttled = rate.throttled
            rows[rate.space]!.rate = rate.rate
            rows[rate.space]!.stopped = rate.stopped
        }
        for (space, entry) in timeline.spaces {
            rows[space, default: SpaceRow(space: space)].firstRequest = entry.firstRequest
            rows[space]!.lastRequest = entry.lastRequest
        }
        return rows.keys.sorted().map { rows[$0]! }
    }

    /// The failed projects by error kind and message, largest group first.
    package var failureGroups: [(kind: String, message: String, projects: [ProjectOutcome])] {
        let failed = status.projects.filter { $0.status == .failed }
        let groups = Dictionary(grouping: failed) { "\($0.errorKind?.rawValue ?? "?")\u{0}\($0.error ?? "")" }
        return groups.keys.sorted { (groups[$0]!.count, $1) > (groups[$1]!.count, $0) }.map { key in
            let first = groups[key]![0]
            return (first.errorKind?.rawValue ?? "?", first.error ?? "", groups[key]!)
        }
    }

    package static func load(_ run: Run, from database: FleetDatabase, now: Date) throws -> ChangeReport {
        let status = try StatusReport.load(run, from: database, now: now, allProjects: true)
        let projects = Dictionary(
            uniqueKeysWithValues: try database.projects(Selection(includeDisabled: true)).map { ($0.id, $0) })
        let entries = try database.rollbackSources(of: run.id).compactMap { source -> FleetSession.PlanEntry? in
            guard source.confirmed, let written = source.written, let project = projects[source.projectRef] else {
                return nil
            }
            return FleetSession.PlanEntry(project: project, outcome: .planned(current: source.before, desired: written))
        }
        return ChangeReport(
            status: status, timeline: try database.timeline(of: run.id), changes: PlanReport(entries),
            generatedAt: now)
    }

    /// Per space, completions and 429s in each of `count` equal slices of the run's span.
    package func bins(_ count: Int) -> [(space: String, completions: [Int], throttled: [Int])] {
        guard let span = timeline.span else { return [] }
        let width = span.end.timeIntervalSince(span.start) / Double(count)
        func bin(_ dates: [Date]) -> [Int] {
            var bins = [Int](repeating: 0, count: count)
            for date in dates {
                bins[min(count - 1, max(0, Int(date.timeIntervalSince(span.start) / width)))] += 1
            }
            return bins
        }
        return timeline.spaces.keys.sorted().map { space in
            let entry = timeline.spaces[space]!
            return (space, bin(entry.completions), bin(entry.throttled))
        }
    }

    /// What the run applied: `template profile.json (sha256 …)` or the plan's SHA-256.
    var applied: String {
        if let rollbackOf = status.run.rollbackOf {
            return "the profiles run \(rollbackOf) found before it changed them"
        }
        let template = "template \(status.run.templateName) (sha256 \(status.run.templateSHA256))"
        return status.run.planSHA256.map { "the saved plan with sha256 \($0), made from the \(template)" } ?? template
    }

    /// The selection as the operator gave it.
    var selectionText: String {
        if let undone = status.run.rollbackOf { return "the projects run \(undone) changed" }
        if status.run.planSHA256 != nil { return "the projects the plan names" }
        let selection = status.run.selection
        var parts: [String] = []
        if !selection.spaces.isEmpty { parts.append("spaces " + selection.spaces.joined(separator: ", ")) }
        if !selection.tags.isEmpty { parts.append("tags " + selection.tags.joined(separator: " and ")) }
        if !selection.projectIDs.isEmpty { parts.append("\(selection.projectIDs.count) projects named") }
        if let excluded = selection.exclusionText { parts.append("excluding " + excluded) }
        return parts.isEmpty ? "every enabled project" : parts.joined(separator: "; ")
    }

    /// The rollback either way: which run undid this one, or which run this one undoes.
    var rollbackText: String {
        if let by = status.rolledBackBy { return "rolled back by run \(by)" }
        if let of = status.run.rollbackOf { return "this run rolls back run \(of)" }
        return "not rolled back; `fleet rollback \(status.run.id)` would restore what it changed"
    }

    /// A table of the report, its cells as plain text; each format escapes them its own way.
    struct Table {
        var header: [String]
        var rows: [[String]]
        /// Per column, the key the HTML gives its cells (`data-field`), for readers and tests.
        var fields: [String]? = nil
    }

    var title: String {
        let run = status.run
        return "Change record: run \(run.id), "
            + (run.rollbackOf.map { "rollback of run \($0)" } ?? "rollout of \(run.templateName)")
    }

    /// The summary: (key, label, value).
    var facts: [(key: String, label: String, value: String)] {
        let run = status.run
        let counts = status.counts
        return [
            ("state", "State", "\(status.state)" + (run.haltReason.map { " (halted by \($0))" } ?? "")),
            ("change", "Change", run.changeID ?? "none given"), ("reason", "Reason", run.reason ?? "none given"),
            (
                "projects", "Projects",
                "\(counts.total): \(counts.succeeded) succeeded, \(counts.unchanged) unchanged, \(counts.failed) failed, \(counts.pending + counts.running) pending"
            ),
            ("started", "Started", run.startedAt), ("finished", "Finished", run.finishedAt ?? "—"),
            ("duration", "Duration", StatusReport.duration(status.duration)),
            ("api_base", "API base", run.apiBase ?? "—"), ("rollback", "Rollback", rollbackText),
            ("generated", "Report made", FleetDatabase.timestamp(generatedAt)),
        ]
    }

    var executionsTable: Table {
        Table(
            header: ["Execution", "Who", "Started", "Finished", "Ended", "Change", "Reason"],
            rows: status.executions.map { execution in
                [
                    "\(execution.number)", execution.login.map { "\($0)@\(execution.host ?? "?")" } ?? "—",
                    execution.startedAt, execution.finishedAt ?? "—", execution.ended?.rawValue ?? "running",
                    execution.changeID ?? "—", execution.reason ?? "—",
                ]
            })
    }

    /// Nil when the run was made without holds.
    var holdsTable: Table? {
        guard let holds = status.run.holds, !holds.isEmpty else { return nil }
        return Table(
            header: ["Space", "Project", "Field", "Reason"],
            rows: holds.map { [$0.space, $0.project_id, $0.field.key, $0.reason] })
    }

    /// Nil for a run that is not staged.
    var wavesTable: Table? {
        guard !status.waves.isEmpty else { return nil }
        return Table(
            header: ["Wave", "State", "Tasks", "Bake until", "Gate"],
            rows: status.waves.map { wave, counts in
                [
                    "\(wave.number)", wave.state.rawValue, counts.map { "\($0.1) \($0.0)" }.joined(separator: ", "),
                    wave.bakeUntil ?? "—",
                    wave.gateStatus.map { "exit \($0)" + (wave.gateOutput.map { ": \($0)" } ?? "") } ?? "—",
                ]
            })
    }

    /// One row per space, its name first.
    var spacesTable: Table {
        Table(
            header: [
                "Space", "Projects", "Succeeded", "Unchanged", "Failed", "Pending", "429s", "Final rate",
                "First request",
                "Last request",
            ],
            rows: spaces.map { row in
                [
                    row.space, "\(row.counts.total)", "\(row.counts.succeeded)", "\(row.counts.unchanged)",
                    "\(row.counts.failed)", "\(row.counts.pending + row.counts.running)", "\(row.throttled)",
                    row.rate.map { "\(StatusReport.rate($0))/s" } ?? "—", Self.time(row.firstRequest),
                    Self.time(row.lastRequest),
                ]
            },
            fields: [
                "space", "projects", "succeeded", "unchanged", "failed", "pending", "throttled", "rate",
                "first_request", "last_request",
            ])
    }

    /// The field changes, one line each, as plan summarises them.
    var changeSummary: [String] {
        changes.summary().map { String($0.drop(while: { $0 == " " })) }
    }

    static func time(_ date: Date?) -> String {
        date.map(FleetDatabase.timestamp) ?? "—"
    }
}
