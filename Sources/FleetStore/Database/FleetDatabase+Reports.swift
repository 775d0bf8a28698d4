import FleetModel
import Foundation
import GRDB

/// The reports' queries, all read-only, so they work on a read-only file and while another
/// process executes the run. The joins and aggregates over every task of a run stay SQL read as
/// positional rows: `fleet status` of 100,000 projects reads each one.
extension FleetDatabase {
    package func counts(of run: Run, state: RunState) throws -> TaskCounts {
        try writer.read { db in
            var counts = TaskCounts()
            for row in try Row.fetchAll(
                db, sql: "SELECT state, count(*) AS n FROM tasks WHERE run_id = ? GROUP BY state", arguments: [run.id])
            {
                counts.add(row["n"], in: row["state"])
            }
            counts.settle(runState: state)
            return counts
        }
    }

    /// Every project's outcome in run order; with `states`, those in one of them (as shown: a
    /// task left running by a dead process is pending).
    package func outcomes(of run: Run, state: RunState, in states: Set<TaskState>? = nil) throws -> [ProjectOutcome] {
        var outcomes: [ProjectOutcome] = []
        try forEachOutcome(of: run, state: state, in: states) { outcomes.append($0) }
        return outcomes
    }

    /// Each project's outcome in `run` (in state `state`), in run order, one at a time: what
    /// `status --json` of 1,000,000 tasks writes out without holding them. With `states`, only
    /// those in one of them, chosen by SQLite (the report of a run that went well reads none).
    package func forEachOutcome(
        of run: Run, state: RunState, in states: Set<TaskState>? = nil, _ body: (ProjectOutcome) throws -> Void
    ) throws {
        var stored = states ?? Set(TaskState.allCases)
        if stored.contains(.pending) && state != .running { stored.insert(.running) }
        let list = stored.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
        try writer.read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.name, p.project_id, p.label, t.state, t.wave, t.attempts, t.http_status, t.error_kind, t.error
                    FROM tasks t JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id
                    WHERE t.run_id = ? AND t.state IN (\(list)) ORDER BY t.position
                    """, arguments: [run.id])
            while let row = try rows.next() {
                var status: TaskState = row[3]
                if status == .running && state != .running { status = .pending }
                guard states?.contains(status) ?? true else { continue }
                try body(
                    ProjectOutcome(
                        space: row[0], projectID: row[1], label: row[2], status: status, wave: row[4], attempts: row[5],
                        httpStatus: row[6], errorKind: row[7], error: row[8]))
            }
        }
    }

    /// Failed attempts by error kind, most first (most of them were retried).
    package func failedAttempts(of runID: Int64) throws -> [(kind: ErrorKind, count: Int)] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.error_kind, count(*) AS n FROM attempts a JOIN tasks t ON t.id = a.task_id
                    WHERE a.error_kind IS NOT NULL AND t.run_id = ? GROUP BY a.error_kind ORDER BY n DESC, a.error_kind
                    """, arguments: [runID]
            ).map { (kind: $0["error_kind"] as ErrorKind, count: $0["n"] as Int) }
        }
    }

    package func requests(of runID: Int64) throws -> Int {
        try writer.read { db in
            try RunTask.filter(RunTask.Columns.runID == runID).select(sum(RunTask.Columns.attempts), as: Int.self)
                .fetchOne(db) ?? 0
        }
    }

    package func executions(of runID: Int64) throws -> [Execution] {
        try writer.read { db in
            try Execution.filter(Execution.Columns.runID == runID).order(Execution.Columns.number).fetchAll(db)
        }
    }

    package func spaceRates(of runID: Int64) throws -> [SpaceRate] {
        try writer.read { db in
            try SpaceRate.filter(SpaceRate.Columns.runID == runID).order(SpaceRate.Columns.space).fetchAll(db)
        }
    }

    /// A wave's task counts by state, for its gate's environment and the report.
    package func waveCounts(runID: Int64, wave: Int) throws -> [(String, Int)] {
        try writer.read { db in
            var counts = TaskCounts()
            for row in try Row.fetchAll(
                db, sql: "SELECT state, count(*) AS n FROM tasks WHERE run_id = ? AND wave = ? GROUP BY state",
                arguments: [runID, wave])
            {
                counts.add(row["n"], in: row["state"])
            }
            return [
                ("total", counts.total), ("succeeded", counts.succeeded), ("unchanged", counts.unchanged),
                ("failed", counts.failed),
                ("pending", counts.pending + counts.running),
            ]
        }
    }

    /// A run's duration: the sum of its executions, an execution still going counting up to `now`
    /// (one a kill cut off, up to the run's last recorded moment).
    package func duration(of run: Run, state: RunState, now: Date) throws -> Double {
        try Self.duration(
            try executions(of: run.id), lastUpdate: lastUpdate(of: run.id), running: state == .running, now: now)
    }

    static func duration(_ executions: [Execution], lastUpdate: Date?, running: Bool, now: Date) -> Double {
        executions.reduce(0) { total, execution in
            guard let start = date(from: execution.startedAt) else { return total }
            let end = execution.finishedAt.flatMap(date(from:)) ?? (running ? now : max(start, lastUpdate ?? start))
            return total + max(0, end.timeIntervalSince(start))
        }
    }

    private func lastUpdate(of runID: Int64) throws -> Date? {
        try writer.read { db in
            try RunTask.filter(RunTask.Columns.runID == runID).select(max(RunTask.Columns.updatedAt), as: String.self)
                .fetchOne(db)
        }
        .flatMap(Self.date(from:))
    }

    /// Every run, newest first, with its effective state, counts and duration.
    /// Every run's id, newest first.
    package func runIDs() throws -> [Int64] {
        try writer.read { db in try Run.order(Run.Columns.id.desc).select(Run.Columns.id, as: Int64.self).fetchAll(db) }
    }

    /// One run's summary, as `runSummaries` gives it.
    package func runSummary(of run: Run, now: Date) throws -> RunSummary {
        let state = effectiveState(of: run)
        return RunSummary(
            run: run, state: state, counts: try counts(of: run, state: state),
            duration: try duration(of: run, state: state, now: now),
            rolledBackBy: try rollbacks(of: run.id).first, executions: try executions(of: run.id))
    }

    package func runSummaries(now: Date) throws -> [RunSummary] {
        let (runs, counts, executions, rollbacks) = try writer.read { db in
            let runs = try Run.order(Run.Columns.id.desc).fetchAll(db)
            var counts: [Int64: TaskCounts] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT run_id, state, count(*) AS n FROM tasks GROUP BY run_id, state")
            {
                counts[row["run_id"], default: TaskCounts()].add(row["n"], in: row["state"])
            }
            let rollbacks = Dictionary(
                try Row.fetchAll(
                    db,
                    sql:
                        "SELECT rollback_of, max(id) AS id FROM runs WHERE rollback_of IS NOT NULL GROUP BY rollback_of"
                )
                .map { ($0["rollback_of"] as Int64, $0["id"] as Int64) }, uniquingKeysWith: max)
            return (runs, counts, Dictionary(grouping: try Execution.fetchAll(db), by: \.runID), rollbacks)
        }
        return try runs.map { run in
            let state = effectiveState(of: run)
            var entry = counts[run.id] ?? TaskCounts()
            entry.settle(runState: state)
            let duration = Self.duration(
                executions[run.id] ?? [], lastUpdate: try lastUpdate(of: run.id), running: state == .running, now: now)
            return RunSummary(
                run: run, state: state, counts: entry, duration: duration, rolledBackBy: rollbacks[run.id],
                executions: executions[run.id] ?? [])
        }
    }
}

extension FleetDatabase {
    /// The project a command's argument names: its UUID, `SPACE/UUID`, or a label only it has.
    package func project(named name: String) throws -> Project {
        switch try directory().project(name) {
        case .success(let project): return project
        case .failure(.none(let closest)) where closest == nil:
            throw FleetError.usage(
                "no project in \(path) has the id or label \(name.escapingControlCharacters); `\(hint("projects"))` lists them."
            )
        case .failure(let unresolved):
            throw FleetError.usage("\(name.escapingControlCharacters) \(unresolved.text(in: path)).")
        }
    }

    /// Every project of the inventory, disabled ones too, by the names operators give them.
    package func directory() throws -> ProjectDirectory {
        ProjectDirectory(try projects(Selection(includeDisabled: true)))
    }

    /// Every run that had a task for `project`, oldest first, with its attempts and snapshots.
    package func history(of project: Project) throws -> [ProjectHistoryEntry] {
        let read = try writer.read { db in
            let tasks = try RunTask.filter(RunTask.Columns.projectRef == project.id).order(RunTask.Columns.runID)
                .fetchAll(db)
            let runs = Dictionary(
                uniqueKeysWithValues: try Run.filter(tasks.map(\.runID).contains(Run.Columns.id)).fetchAll(db).map {
                    ($0.id, $0)
                })
            return try tasks.map { task in
                (
                    run: runs[task.runID]!, task: task,
                    attempts: try AttemptRow.filter(AttemptRow.Columns.taskID == task.id).order(
                        AttemptRow.Columns.number
                    ).fetchAll(db),
                    snapshots: try Snapshot.filter(Snapshot.Columns.taskID == task.id).fetchAll(db)
                )
            }
        }
        // The run's effective state asks the run lock, outside the read.
        return try read.map { entry in
            ProjectHistoryEntry(
                run: entry.run, runState: effectiveState(of: entry.run), task: entry.task, attempts: entry.attempts,
                before: entry.snapshots.first { $0.kind == .before }?.profile,
                after: entry.snapshots.first { $0.kind == .after }?.profile,
                rolledBackBy: try rollbacks(of: entry.run.id).first)
        }
    }
}
