import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// `fleet status`: a run, its counts, its executions, spaces and waves, and every project's
/// outcome, read from the database (so it works while another process executes the run).
package struct StatusReport: Sendable {
    package var run: Run
    package var state: RunState
    package var counts: TaskCounts
    /// The projects the text report names: with `only`, those in that state; else those not
    /// carried to success (`allProjects`: every one). JSON and CSV read every one as they write.
    package var projects: [ProjectOutcome]
    package var requests: Int
    /// Failed attempts by error kind (most of them retried).
    package var failedAttempts: [(kind: ErrorKind, count: Int)]
    package var executions: [Execution]
    package var duration: Double
    package var spaces: [SpaceRate]
    package var waves: [(wave: Wave, counts: [(String, Int)])]
    /// The latest rollback run of this one: its tasks are not to be retried.
    package var rolledBackBy: Int64?
    /// `--state`: `projects` holds those in this state only.
    package var only: TaskState?

    /// The run's summary, as `fleet runs` shows it.
    package var summary: RunSummary {
        RunSummary(
            run: run, state: state, counts: counts, duration: duration, rolledBackBy: rolledBackBy,
            executions: executions)
    }

    /// Reads the report of `run`; with `only`, `projects` holds the ones in that state only.
    package static func load(
        _ run: Run, from database: FleetDatabase, now: Date, only: TaskState? = nil, allProjects: Bool = false
    ) throws -> StatusReport {
        let state = database.effectiveState(of: run)
        let waves = try database.waves(of: run.id)
        return StatusReport(
            run: run, state: state, counts: try database.counts(of: run, state: state),
            projects: try database.outcomes(
                of: run, state: state, in: only.map { [$0] } ?? (allProjects ? nil : [.pending, .running, .failed])),
            requests: try database.requests(of: run.id),
            failedAttempts: try database.failedAttempts(of: run.id), executions: try database.executions(of: run.id),
            duration: try database.duration(of: run, state: state, now: now),
            spaces: try database.spaceRates(of: run.id),
            waves: waves.count > 1
                ? try waves.map { ($0, try database.waveCounts(runID: run.id, wave: $0.number)) } : [],
            rolledBackBy: try database.rollbacks(of: run.id).first, only: only)
    }

    /// The text report: header, counts, throughput, spaces and waves when they matter, failures
    /// grouped by kind and message with their projects, and the command that reruns them.
    package func text(hint: CommandHint, projectsPerGroup: Int? = 10) -> String {
        let conflicts = projects.count { $0.status == .failed && $0.errorKind == .conflict }
        var lines = header()
        lines += spaceLines() + waveLines()
        let stopped = Set(spaces.filter { $0.stopped != nil }.map(\.space))
        lines += groups(
            title: "failures:", of: projects.filter { $0.status == .failed && !stopped.contains($0.space) },
            limit: projectsPerGroup, hint: hint)
        lines += stoppedLines(hint: hint)
        lines += stateLines(hint: hint)
        if let rolledBackBy {
            lines += [
                "",
                "rolled back by run \(rolledBackBy): \(hint("status \(rolledBackBy)")); to go on, start a new rollout",
            ]
        } else if !counts.allGood && state != .running && counts.failed + counts.pending > conflicts {
            lines += ["", "rerun what did not succeed: \(hint("retry \(run.id)"))"]
            if counts.failed > 0 && counts.pending > 0 {
                lines.append("only the tasks never carried to an end: \(hint("retry \(run.id) --pending"))")
            }
        }
        lines += replanHint(hint)
        return lines.joined(separator: "\n")
    }

    /// `14 projects: space1 2, space10 1, …`, the five largest spaces named (`1 project` alone).
    static func counted(_ group: [ProjectOutcome]) -> String {
        group.count == 1 ? "1 project" : "\(group.count) projects: \(PlanReport.bySpace(group.map(\.space)))"
    }

    /// At most `limit` of a group: all of it if it fits, else the first of each space (in run order).
    static func sample(_ group: [ProjectOutcome], limit: Int) -> [ProjectOutcome] {
        guard group.count > limit else { return group }
        var seen: Set<String> = []
        return Array(group.filter { seen.insert($0.space).inserted }.prefix(limit))
    }

    /// With `--state` (other than failed): every project in that state not listed above. Without
    /// it, where the pending ones are listed.
    private func stateLines(hint: CommandHint) -> [String] {
        guard let only else {
            guard counts.pending > 0, state != .running, rolledBackBy == nil else { return [] }
            return ["", "\(counts.pending) pending: `\(hint("status \(run.id) --state pending"))` lists them"]
        }
        let rest = projects.filter {
            !($0.status == .failed || ($0.status == .pending && $0.errorKind == .unreachable))
        }
        guard !rest.isEmpty else { return [] }
        return ["", only == .pending ? "pending (not started yet):" : "\(only):"] + rest.map { "  " + Self.heading($0) }
    }

    static func heading(_ project: ProjectOutcome) -> String {
        "\(project.space) \(project.projectID)\(project.label.isEmpty ? "" : " \(project.label.escapingControlCharacters)")"
    }

    /// A project changed since its plan conflicts again on retry until its profile is back to
    /// what the plan read, so the way on is a new plan of those projects; one changed since the
    /// run a rollback undoes is put back only by a forced rollback.
    private func replanHint(_ hint: CommandHint) -> [String] {
        let conflicts = projects.filter { $0.status == .failed && $0.errorKind == .conflict }
        guard !conflicts.isEmpty, state != .running, rolledBackBy == nil else { return [] }
        if let undone = run.rollbackOf {
            return [
                "changed since run \(undone), left as they are (a retry conflicts again while they stay so); to put the before back over them: "
                    + hint("rollback \(undone) --force")
            ]
        }
        var words = "plan \(ShellWord.quote(run.templateName))"
        if conflicts.count <= 10 { words += conflicts.map { " --project \($0.projectID)" }.joined() }
        if let apiBase = run.apiBase, apiBase != APIBase.defaultTemplate {
            words += " --api-base \(ShellWord.quote(apiBase))"
        }
        return [
            "changed since the plan (a retry conflicts again while they stay so); plan them anew: "
                + hint(words + " --out replan.json")
        ]
    }

    /// `change CHG-2291: move to encrypted SRTP`, when the run was made under one.
    static func changeLine(_ run: Run) -> String? {
        switch (run.changeID, run.reason) {
        case (let change?, let reason?): "change \(change): \(reason)".escapingControlCharacters
        case (let change?, nil): "change \(change)".escapingControlCharacters
        case (nil, let reason?): "reason: \(reason)".escapingControlCharacters
        case (nil, nil): nil
        }
    }

    private func header() -> [String] {
        let what =
            run.rollbackOf.map { "rollback of run \($0)" } ?? "rollout of \(run.templateName.escapingControlCharacters)"
        var lines = ["run \(run.id): \(what) (template sha256 \(run.templateSHA256.prefix(12))), \(state)"]
        let over = executions.count > 1 ? " over \(executions.count) executions" : ""
        lines.append(
            "started \(run.startedAt), \(state == .running ? "running for" : "took") \(Self.duration(duration))\(over)")
        if let apiBase = run.apiBase { lines.append("api base \(apiBase)") }
        if let line = Self.changeLine(run) { lines.append(line) }
        var seen: Set<String> = []
        let operators = executions.compactMap { execution in
            execution.login.map { "\($0)@\(execution.host ?? "?")" }
        }.filter { seen.insert($0).inserted }
        if !operators.isEmpty { lines.append("run by " + operators.joined(separator: ", ").escapingControlCharacters) }
        if let haltReason = run.haltReason, state == .halted {
            lines.append("halted by \(haltReason.escapingControlCharacters)")
        }
        if let rolledBackBy { lines.append("rolled back by run \(rolledBackBy)") }
        lines.append(
            "\(counts.total) projects: \(counts.succeeded) succeeded, \(counts.unchanged) unchanged, \(counts.failed) failed, \(counts.pending) pending, \(counts.running) running"
        )
        let done = counts.succeeded + counts.unchanged + counts.failed
        if duration > 0 && done > 0 {
            lines.append(
                String(
                    format: "throughput: %.1f projects/s, %.1f requests/s (%d requests)", Double(done) / duration,
                    Double(requests) / duration, requests))
        }
        if !failedAttempts.isEmpty {
            let total = failedAttempts.reduce(0) { $0 + $1.count }
            lines.append(
                "failed requests: \(total) (" + failedAttempts.map { "\($0.count) \($0.kind)" }.joined(separator: ", ")
                    + "); rate_limited, server, timeout and network are retried")
        }
        return lines
    }

    /// Spaces that were throttled, with their final rate, and spaces the circuit breaker stopped,
    /// grouped by reason.
    private func spaceLines() -> [String] {
        let throttled = spaces.filter { $0.throttled > 0 }.map {
            "  \($0.space): \($0.throttled) answered 429, rate at the end \(Self.rate($0.rate))/s"
        }
        return throttled.isEmpty ? [] : ["", "spaces throttled:"] + throttled
    }

    /// The spaces the circuit breaker stopped, apart from the failures: each with its host, the
    /// reason, and what it left (its projects are not in the failure groups).
    private func stoppedLines(hint: CommandHint) -> [String] {
        let stopped = spaces.filter { $0.stopped != nil }
        guard !stopped.isEmpty else { return [] }
        let base = run.apiBase.flatMap { try? APIBase($0) }
        let bySpace = Dictionary(grouping: projects, by: \.space)
        let shown = stopped.prefix(10).map { space -> String in
            let members = bySpace[space.space] ?? []
            let host = base.map { " (\($0.host(space: space.space)))" } ?? ""
            return "  \(space.space)\(host): \(space.stopped!.escapingControlCharacters): "
                + "\(members.count { $0.status == .failed }) failed, \(members.count { $0.status == .pending }) pending"
        }
        let more = stopped.count > 10 ? ["  … and \(stopped.count - 10) more spaces"] : []
        let retry =
            state == .running || rolledBackBy != nil
            ? "" : " (their pending tasks run again with `\(hint("retry \(run.id)"))`)"
        return ["", "stopped by the circuit breaker\(retry):"] + shown + more
    }

    private func waveLines() -> [String] {
        guard !waves.isEmpty else { return [] }
        return ["", "waves:"]
            + waves.map { wave, counts in
                let tally = counts.filter { $0.0 != "total" && $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(
                    separator: ", ")
                var line =
                    "  \(wave.number): \(counts.first { $0.0 == "total" }?.1 ?? 0) projects, \(wave.state.rawValue)"
                if !tally.isEmpty { line += " (\(tally))" }
                if let until = wave.bakeUntil { line += "; baked until \(until)" }
                if let status = wave.gateStatus {
                    line += "; gate exited \(status)" + (wave.gateOutput.map { ": \($0)" } ?? "")
                }
                return line
            }
    }

    private func groups(title: String, of members: [ProjectOutcome], limit: Int?, hint: CommandHint) -> [String] {
        guard !members.isEmpty else { return [] }
        var lines = ["", title]
        let groups = Dictionary(grouping: members) { "\($0.errorKind?.rawValue ?? "?")\u{0}\($0.error ?? "")" }
        for key in groups.keys.sorted(by: { (groups[$0]!.count, $1) > (groups[$1]!.count, $0) }) {
            let group = groups[key]!
            let first = group[0]
            lines.append(
                "  \(first.errorKind?.rawValue ?? "?"): \((first.error ?? "").escapingControlCharacters) (\(Self.counted(group)))"
            )
            let shown = limit.map { Self.sample(group, limit: $0) } ?? group
            for member in shown { lines.append("    " + Self.heading(member)) }
            if shown.count < group.count {
                let state = first.status
                lines.append(
                    "    … and \(group.count - shown.count) more: `\(hint("status \(run.id) --state \(state)"))` lists the \(state) ones"
                )
            }
        }
        return lines
    }

    package static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }

    static func rate(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? "\(Int(value.rounded()))" : String(format: "%.1f", value)
    }
}
