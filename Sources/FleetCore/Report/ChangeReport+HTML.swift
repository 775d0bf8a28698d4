import FleetModel
import FleetStore
import Foundation

extension ChangeReport {
    /// The change record as one self-contained HTML file: inline CSS and SVG, no script, no
    /// external reference; it reads the same printed or mailed. Well-formed XML, so any parser reads it.
    package func html() -> String {
        var body = ["<h1>\(Self.escape(title))</h1>", Self.facts(id: "summary", facts), countsTable()]
        body += ["<h2>Who ran it</h2>", Self.grid(id: "executions", executionsTable)]
        body += appliedSection()
        body += ["<h2>Holds in effect</h2>", holdsTable.map { Self.grid(id: "holds", $0) } ?? "<p>None.</p>"]
        if let waves = wavesTable { body += ["<h2>Waves and gates</h2>", Self.grid(id: "waves", waves)] }
        body += ["<h2>Per space</h2>", spacesGrid()]
        body += changesSection() + failuresSection() + timelineSection()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"/><title>\(Self.escape(title))</title>
            <style>\(Self.style)</style></head>
            <body>
            \(body.joined(separator: "\n"))
            </body></html>

            """
    }

    private func countsTable() -> String {
        let counts = status.counts
        let cells: [(String, Int)] = [
            ("total", counts.total), ("succeeded", counts.succeeded), ("unchanged", counts.unchanged),
            ("failed", counts.failed), ("pending", counts.pending), ("running", counts.running),
        ]
        return "<table id=\"counts\" class=\"counts\"><tr>"
            + cells.map { "<th>\($0.0)</th>" }.joined() + "</tr><tr>"
            + cells.map { "<td data-field=\"\($0.0)\">\($0.1)</td>" }.joined() + "</tr></table>"
    }

    private func appliedSection() -> [String] {
        let run = status.run
        return ["<h2>What it applied</h2>", "<p>\(Self.escape(applied))</p>"]
            + (run.rollbackOf == nil
                ? [
                    "<pre class=\"template\">"
                        + run.template.split(separator: "\n", omittingEmptySubsequences: false).map {
                            Self.escape(String($0))
                        }.joined(separator: "\n") + "</pre>"
                ] : [])
            + [
                "<p><b>Selection:</b> \(Self.escape(selectionText)).</p>",
                "<p><b>Options:</b> \(Self.escape(run.options.summary(total: status.counts.total))).</p>",
            ]
    }

    /// The per-space table, each row keyed by its space and each cell by its field.
    private func spacesGrid() -> String {
        let table = spacesTable
        let fields = table.fields!
        let header = "<tr>" + table.header.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr>"
        let rows = zip(spaces, table.rows).map { space, row -> String in
            let cells = zip(fields.dropFirst(), row.dropFirst()).map {
                "<td data-field=\"\($0)\">\(Self.escape($1))</td>"
            }.joined()
            let stopped = space.stopped.map { " title=\"stopped: \(Self.escape($0))\"" } ?? ""
            return
                "<tr data-space=\"\(Self.escape(space.space))\"\(stopped)><th>\(Self.escape(space.space))</th>\(cells)</tr>"
        }
        return "<table id=\"spaces\"><thead>\(header)</thead><tbody>" + rows.joined(separator: "\n")
            + "</tbody></table>"
    }

    private func changesSection() -> [String] {
        let summary = changeSummary
        guard !summary.isEmpty else { return ["<h2>Field changes</h2>", "<p>None confirmed.</p>"] }
        return ["<h2>Field changes</h2>", "<ul id=\"changes\">"] + summary.map { "<li>\(Self.escape($0))</li>" }
            + ["</ul>"]
    }

    private func failuresSection() -> [String] {
        let groups = failureGroups
        guard !groups.isEmpty else { return ["<h2>Failures</h2>", "<p>None.</p>"] }
        var lines = ["<h2>Failures</h2>", "<ul id=\"failures\">"]
        for group in groups {
            let projects = group.projects.prefix(10).map {
                "<li>\(Self.escape("\($0.space) \($0.projectID) \($0.label)"))</li>"
            }.joined()
            let more = group.projects.count > 10 ? "<li>… and \(group.projects.count - 10) more</li>" : ""
            lines.append(
                "<li data-kind=\"\(Self.escape(group.kind))\" data-projects=\"\(group.projects.count)\"><b>\(Self.escape(group.kind))</b>: \(Self.escape(group.message)) (\(Self.escape(StatusReport.counted(group.projects))))<ul>\(projects)\(more)</ul></li>"
            )
        }
        return lines + ["</ul>"]
    }

    private func timelineSection() -> [String] {
        guard let span = timeline.span else { return [] }
        return [
            "<h2>Timeline</h2>",
            "<p>Completions per space over the run (bars), and requests answered 429 (red marks), from \(FleetDatabase.timestamp(span.start)) to \(FleetDatabase.timestamp(span.end)).</p>",
            TimelineChart(bins: bins(TimelineChart.slices), span: span).svg,
        ]
    }

    /// A two-column table of labelled values, each row keyed for readers and tests.
    static func facts(id: String, _ rows: [(key: String, label: String, value: String)]) -> String {
        "<table id=\"\(id)\" class=\"facts\">"
            + rows.map { "<tr data-key=\"\($0.key)\"><th>\(escape($0.label))</th><td>\(escape($0.value))</td></tr>" }
            .joined() + "</table>"
    }

    /// A table with a header row.
    static func grid(id: String, _ table: Table) -> String {
        "<table id=\"\(id)\"><thead><tr>" + table.header.map { "<th>\(escape($0))</th>" }.joined()
            + "</tr></thead><tbody>"
            + table.rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined()
            + "</tbody></table>"
    }

    /// Text as HTML: the five characters XML escapes, control characters shown escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.escapingControlCharacters {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let style = """
        body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2330;margin:2em auto;max-width:1000px;padding:0 1em}
        h1{font-size:22px;margin:0 0 .6em}h2{font-size:17px;margin:1.6em 0 .5em;border-bottom:1px solid #d5d9e0;padding-bottom:.2em}
        table{border-collapse:collapse;margin:.4em 0;font-variant-numeric:tabular-nums}
        th,td{border:1px solid #d5d9e0;padding:3px 8px;text-align:left;vertical-align:top}
        thead th,.counts th{background:#f1f3f6}.facts th{background:#f7f8fa;width:9em}
        td[data-field]{text-align:right}pre{background:#f7f8fa;border:1px solid #d5d9e0;padding:.6em;white-space:pre-wrap;word-break:break-all}
        ul ul{margin:.2em 0 .6em;color:#4a5261}svg{max-width:100%;height:auto}
        @media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}table,svg{break-inside:avoid}}
        """
}
