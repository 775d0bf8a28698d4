import FleetModel
import FleetStore
import Foundation

extension ChangeReport {
    /// The change record as Markdown, for a ticket or a wiki.
    package func markdown() -> String {
        let run = status.run
        var lines = ["# \(Self.cell(title))", ""]
        lines += Self.table(Table(header: ["", ""], rows: facts.map { [$0.label, $0.value] }))
        lines += ["", "## Who ran it", ""] + Self.table(executionsTable)
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
        lines += ["", "## Holds in effect", ""] + (holdsTable.map(Self.table) ?? ["None."])
        if let waves = wavesTable { lines += ["", "## Waves and gates", ""] + Self.table(waves) }
        lines += ["", "## Per space", ""] + Self.table(spacesTable)
        lines += changeLines() + failureLines() + timelineLines()
        return lines.joined(separator: "\n") + "\n"
    }

    private func changeLines() -> [String] {
        let summary = changeSummary
        return ["", "## Field changes", ""]
            + (summary.isEmpty ? ["None confirmed."] : summary.map { "- " + Self.cell($0) })
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

    /// A Markdown table, every cell escaped.
    static func table(_ table: Table) -> [String] {
        [
            "| " + table.header.joined(separator: " | ") + " |", "|" + table.header.map { _ in " --- |" }.joined(),
        ] + table.rows.map { "| " + $0.map(cell).joined(separator: " | ") + " |" }
    }

    /// Text for a table cell or a line: control characters escaped, `|` and backticks quoted.
    static func cell(_ text: String) -> String {
        text.escapingControlCharacters.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(
            of: "`", with: "\\`")
    }
}
