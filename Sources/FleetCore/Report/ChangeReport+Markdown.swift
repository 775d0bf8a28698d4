import FleetModel
import FleetStore
import Foundation

extension ChangeReport {
    /// The change record as Markdown, for a ticket or a wiki.
    package func markdown() -> String {
        let run = status.run
        let what = run.rollbackOf.map { "rollback of run \($0)" } ?? "rollout of \(run.templateName)"
        var lines = ["# Change record: run \(run.id), \(Self.cell(what))", ""]
        lines += Self.table(
            ["", ""],
            [
                ["State", "\(status.state)" + (run.haltReason.map { " (halted by \(Self.cell($0)))" } ?? "")],
                ["Change", Self.cell(run.changeID ?? "none given")], ["Reason", Self.cell(run.reason ?? "none given")],
                ["Projects", Self.countsText(status.counts)],
                ["Started", run.startedAt], ["Finished", run.finishedAt ?? "—"],
                ["Duration", StatusReport.duration(status.duration)], ["API base", Self.cell(run.apiBase ?? "—")],
                ["Rollback", Self.cell(rollbackText)], ["Report made", FleetDatabase.timestamp(generatedAt)],
            ])
        lines += ["", "## Who ran it", ""]
        lines += Self.table(
            ["Execution", "Who", "Started", "Finished", "Ended", "Change", "Reason"],
            status.executions.map { execution in
                [
                    "\(execution.number)", Self.cell(execution.login.map { "\($0)@\(execution.host ?? "?")" } ?? "—"),
                    execution.startedAt, execution.finishedAt ?? "—", execution.ended?.rawValue ?? "running",
                    Self.cell(execution.changeID ?? "—"), Self.cell(execution.reason ?? "—"),
                ]
            })
        lines += ["", "## What it applied", "", Self.cell(applied), ""]
        if run.rollbackOf == nil {
            let text = run.template.split(separator: "\n", omittingEmptySubsequences: false).map {
                String($0).escapingControlCharacters.replacingOccurrences(of: "```", with: "`\u{200B}``")
            }
            lines += ["```json"] + text + ["```", ""]
        }
        lines += [
            "Selection: \(Self.cell(selectionText)).", "",
            "Options: \(Self.cell(run.options.summary(total: status.counts.total))).",
        ]
        lines += holdLines() + waveLines() + spaceLines() + changeLines() + failureLines() + timelineLines()
        return lines.joined(separator: "\n") + "\n"
    }

    private func holdLines() -> [String] {
        guard let holds = status.run.holds, !holds.isEmpty else { return ["", "## Holds in effect", "", "None."] }
        return ["", "## Holds in effect", ""]
            + Self.table(
                ["Space", "Project", "Field", "Reason"],
                holds.map { [$0.space, $0.project_id, $0.field.key, Self.cell($0.reason)] })
    }

    private func waveLines() -> [String] {
        guard !status.waves.isEmpty else { return [] }
        return ["", "## Waves and gates", ""]
            + Self.table(
                ["Wave", "State", "Tasks", "Bake until", "Gate"],
                status.waves.map { wave, counts in
                    [
                        "\(wave.number)", wave.state.rawValue,
                        counts.map { "\($0.1) \($0.0)" }.joined(separator: ", "), wave.bakeUntil ?? "—",
                        Self.cell(
                            wave.gateStatus.map { "exit \($0)" + (wave.gateOutput.map { ": \($0)" } ?? "") } ?? "—"),
                    ]
                })
    }

    private func spaceLines() -> [String] {
        ["", "## Per space", ""]
            + Self.table(
                [
                    "Space", "Projects", "Succeeded", "Unchanged", "Failed", "Pending", "429s", "Final rate",
                    "First request",
                    "Last request",
                ],
                spaces.map { row in
                    [
                        row.space, "\(row.counts.total)", "\(row.counts.succeeded)", "\(row.counts.unchanged)",
                        "\(row.counts.failed)", "\(row.counts.pending + row.counts.running)", "\(row.throttled)",
                        row.rate.map { "\(StatusReport.rate($0))/s" } ?? "—", Self.time(row.firstRequest),
                        Self.time(row.lastRequest),
                    ]
                })
    }

    private func changeLines() -> [String] {
        let summary = changes.summary()
        return ["", "## Field changes", ""]
            + (summary.isEmpty
                ? ["None confirmed."]
                : summary.map { "- " + Self.cell(String($0.drop(while: { $0 == " " }))) })
    }

    private func failureLines() -> [String] {
        let groups = failureGroups
        guard !groups.isEmpty else { return ["", "## Failures", "", "None."] }
        var lines = ["", "## Failures", ""]
        for group in groups {
            lines.append(
                "- **\(group.kind)**: \(Self.cell(group.message)) (\(StatusReport.counted(group.projects)))")
            for project in group.projects.prefix(10) {
                lines.append("  - \(project.space) \(project.projectID) \(Self.cell(project.label))")
            }
            if group.projects.count > 10 { lines.append("  - … and \(group.projects.count - 10) more") }
        }
        return lines
    }

    private func timelineLines() -> [String] {
        let bins = bins(40)
        guard let span = timeline.span, !bins.isEmpty else { return [] }
        let bars = Array("▁▂▃▄▅▆▇█")
        let peak = max(1, bins.flatMap(\.completions).max() ?? 1)
        var lines = [
            "", "## Timeline", "",
            "Completions per space from \(FleetDatabase.timestamp(span.start)) to \(FleetDatabase.timestamp(span.end)), in 40 slices (429s counted):",
            "", "```",
        ]
        let width = bins.map(\.space.count).max() ?? 0
        for entry in bins {
            let line = entry.completions.map { $0 == 0 ? " " : String(bars[min(7, $0 * 8 / (peak + 1))]) }.joined()
            let throttled = entry.throttled.reduce(0, +)
            lines.append(
                entry.space.padding(toLength: width, withPad: " ", startingAt: 0) + " |" + line + "| "
                    + (throttled > 0 ? "\(throttled) 429s" : ""))
        }
        return lines + ["```"]
    }

    static func countsText(_ counts: TaskCounts) -> String {
        "\(counts.total): \(counts.succeeded) succeeded, \(counts.unchanged) unchanged, \(counts.failed) failed, \(counts.pending + counts.running) pending"
    }

    /// A Markdown table.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        [
            "| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in " --- |" }.joined(),
        ] + rows.map { "| " + $0.joined(separator: " | ") + " |" }
    }

    /// Text for a table cell or a line: control characters escaped, `|` and backticks quoted.
    static func cell(_ text: String) -> String {
        text.escapingControlCharacters.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(
            of: "`", with: "\\`")
    }
}
