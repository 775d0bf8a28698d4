import FleetModel
import Foundation
import GRDB

extension FleetDatabase {
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Records a run, one pending task per project (with its wave), its waves and its first
    /// execution in one transaction, and takes the run's lock before the run becomes visible, so
    /// no reader ever sees it running without an owner. Refuses when a project of it is in a run
    /// another process is executing.
    package func startRun(_ spec: RunSpec, change: ChangeRecord, now: Date) throws -> RunHandle {
        let selection = try Self.json(spec.selection)
        let options = try Self.json(spec.options)
        let holds = try Self.json(spec.holds)
        let waveEnds = WaveEnd.positions(spec.options.waveEnds, total: spec.tasks.count)
        let now = Self.timestamp(now)
        return try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (kind, state, template_name, template, template_sha256, selection, options, rollback_of, started_at, api_base, plan_sha256, holds, change_id, reason)
                    VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    spec.kind, spec.templateName, spec.template, spec.templateSHA256, selection, options,
                    spec.rollbackOf, now,
                    spec.apiBase.template, spec.planSHA256, holds, change.change, change.reason,
                ])
            let runID = db.lastInsertedRowID
            let lock = try RunLock.acquire(runID: runID, database: filePath)
            try Self.insertTasks(spec.tasks, runID: runID, waveEnds: waveEnds, now: now, db)
            try Self.refuseOverlap(runID: runID, db, path: filePath)
            let execution = try Self.insertExecution(
                runID: runID, number: 1, options: options, tasks: spec.tasks.toSend,
                pendingOnly: false, change: change, now: now, db)
            return RunHandle(run: try Run.fetchOne(db, key: runID)!, lock: lock, execution: execution)
        }
    }

    /// A new run's tasks, each in its wave, and its waves. A rollout's tasks go in as one
    /// statement that reads the projects' row ids from one JSON array (10,000 tasks in a tenth of
    /// the time of a statement a task); a run of exact bodies, one prepared statement for all.
    static func insertTasks(
        _ tasks: RunSpec.Tasks, runID: Int64, waveEnds: [Int], now: String, _ db: Database, chunk: Int = 1 << 16
    ) throws {
        switch tasks {
        case .projects(let refs):
            try insertTasks(of: refs, runID: runID, waveEnds: waveEnds, now: now, db, chunk: chunk)
        case .exact(let exact):
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO tasks (run_id, project_ref, position, wave, desired, expected, state, error_kind, error, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            var wave = 0
            for (position, task) in exact.enumerated() {
                while position >= waveEnds[wave] { wave += 1 }
                try insert.execute(arguments: [
                    runID, task.projectRef, position, wave + 1, task.desired?.jsonString(),
                    task.expected?.jsonString(), task.conflict == nil ? TaskState.pending : .failed,
                    task.conflict.map { _ in ErrorKind.conflict }, task.conflict, now,
                ])
            }
        }
        for (number, end) in waveEnds.enumerated() {
            try db.execute(
                sql: "INSERT INTO waves (run_id, number, end_position) VALUES (?, ?, ?)",
                arguments: [runID, number + 1, end])
        }
    }

    /// The tasks of the projects `refs`, pending, `chunk` ids at a time: SQLite holds the whole
    /// array it reads (24 MB for 1,000,000).
    private static func insertTasks(
        of refs: [Int64], runID: Int64, waveEnds: [Int], now: String, _ db: Database, chunk: Int
    ) throws {
        let insert = try db.makeStatement(
            sql: """
                INSERT INTO tasks (run_id, project_ref, position, wave, state, updated_at)
                SELECT ?1, refs.value, ?5 + refs.key,
                       1 + (SELECT count(*) FROM json_each(?2) AS ends WHERE ends.value <= ?5 + refs.key),
                       'pending', ?3
                FROM json_each(?4) AS refs
                """)
        let ends = jsonArray(waveEnds)
        for start in stride(from: 0, to: refs.count, by: chunk) {
            let ids = refs[start..<min(refs.count, start + chunk)]
            try insert.execute(arguments: [runID, ends, now, jsonArray(ids), start])
        }
    }

    /// Takes over `runID` for `fleet retry`: its lock, an execution of its own (an earlier one cut
    /// off by a kill is closed first), state `running` again, and no task left `running`.
    package func resumeRun(
        _ runID: Int64, options: ExecutionOptions, pendingOnly: Bool, tasks count: Int, change: ChangeRecord, now: Date
    ) throws -> RunHandle {
        let lock = try RunLock.acquire(runID: runID, database: filePath)
        let stamp = Self.timestamp(now)
        return try writer.write { db in
            try Self.closeCutOffExecutions(runID: runID, db)
            try Run.filter(key: runID).updateAll(
                db, Run.Columns.state.set(to: RunState.running), Run.Columns.finishedAt.set(to: nil),
                Run.Columns.haltReason.set(to: nil))
            // A run made without a change takes the first one a retry gives.
            try db.execute(
                sql: "UPDATE runs SET change_id = coalesce(change_id, ?), reason = coalesce(reason, ?) WHERE id = ?",
                arguments: [change.change, change.reason, runID])
            try RunTask.filter(RunTask.Columns.runID == runID && RunTask.Columns.state == TaskState.running)
                .updateAll(db, RunTask.Columns.state.set(to: TaskState.pending))
            try Self.refuseOverlap(runID: runID, db, path: filePath)
            let last = try Execution.filter(Execution.Columns.runID == runID)
                .select(max(Execution.Columns.number), as: Int.self).fetchOne(db)
            let number = (last ?? 0) + 1
            let execution = try Self.insertExecution(
                runID: runID, number: number, options: try Self.json(options), tasks: count,
                pendingOnly: pendingOnly, change: change, now: stamp, db)
            return RunHandle(run: try Run.fetchOne(db, key: runID)!, lock: lock, execution: execution)
        }
    }

    private static func insertExecution(
        runID: Int64, number: Int, options: String, tasks: Int, pendingOnly: Bool, change: ChangeRecord, now: String,
        _ db: Database
    ) throws -> Execution {
        try db.execute(
            sql: """
                INSERT INTO executions (run_id, number, started_at, options, tasks, pending_only, login, host, change_id, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                runID, number, now, options, tasks, pendingOnly, change.who.user, change.who.host, change.change,
                change.reason,
            ])
        return try Execution.fetchOne(db, key: db.lastInsertedRowID)!
    }

    /// An execution a kill cut off ends at its run's last recorded moment, as interrupted.
    private static func closeCutOffExecutions(runID: Int64, _ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE executions SET ended = 'interrupted',
                    finished_at = max(started_at, coalesce((SELECT max(updated_at) FROM tasks WHERE run_id = ?1), started_at))
                WHERE run_id = ?1 AND finished_at IS NULL
                """, arguments: [runID])
    }

    /// `[1,2,3]`.
    private static func jsonArray<Numbers: Collection>(_ numbers: Numbers) -> String
    where Numbers.Element: BinaryInteger {
        var text = "["
        text.reserveCapacity(numbers.count * 8)
        for (index, number) in numbers.enumerated() {
            if index > 0 { text += "," }
            text += String(number)
        }
        return text + "]"
    }

    /// A project is never in two executing runs at once: the second names the first. Only the
    /// runs another process is executing (it holds their lock) are compared, and usually there
    /// are none: the check then costs nothing, whatever the number of tasks.
    private static func refuseOverlap(runID: Int64, _ db: Database, path: String) throws {
        let executing = try Int64.fetchAll(
            db, sql: "SELECT id FROM runs WHERE state = 'running' AND id <> ?", arguments: [runID]
        )
        .filter { RunLock.isHeld(runID: $0, database: path) }
        for other in executing {
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT s.name AS space, p.project_id
                    FROM tasks mine JOIN tasks other ON other.project_ref = mine.project_ref AND other.run_id = ?2
                    JOIN projects p ON p.id = mine.project_ref JOIN spaces s ON s.id = p.space_id
                    WHERE mine.run_id = ?1 AND mine.state NOT IN ('succeeded', 'unchanged')
                      AND other.state NOT IN ('succeeded', 'unchanged')
                    LIMIT 1
                    """, arguments: [runID, other])
            guard let row else { continue }
            throw FleetError(
                "project \(row["project_id"] as String) (space \(row["space"] as String)) is in run \(other), which another fleet process is executing; a project is never in two executing runs at once. Wait for run \(other) to end, or leave its projects out.",
                status: .failure)
        }
    }

    /// Ends an execution: tasks it left `running` (waiting for a retry, or cut off) go back to
    /// `pending`, so `fleet retry` picks them up.
    package func finishExecution(_ handle: RunHandle, end: ExecutionEnd, now: Date) throws {
        let (state, reason): (RunState, String?) =
            switch end {
            case .finished: (.finished, nil)
            case .halted(let reason): (.halted, reason)
            case .interrupted: (.interrupted, nil)
            }
        let stamp = Self.timestamp(now)
        try writer.write { db in
            try RunTask.filter(RunTask.Columns.runID == handle.run.id && RunTask.Columns.state == TaskState.running)
                .updateAll(
                    db, RunTask.Columns.state.set(to: TaskState.pending), RunTask.Columns.updatedAt.set(to: stamp))
            try Run.filter(key: handle.run.id).updateAll(
                db, Run.Columns.state.set(to: state), Run.Columns.haltReason.set(to: reason),
                Run.Columns.finishedAt.set(to: stamp))
            try Execution.filter(key: handle.execution.id).updateAll(
                db, Execution.Columns.ended.set(to: state), Execution.Columns.haltReason.set(to: reason),
                Execution.Columns.finishedAt.set(to: stamp))
        }
    }

    /// The tasks of `runID` at `positions` (as `filter` says) that the circuit breaker left
    /// unstarted in the spaces of `reasons` stay pending, marked with their space's reason.
    package func markUnreachable(
        _ reasons: [String: String], runID: Int64, at positions: Range<Int>, _ filter: TaskFilter, now: Date
    ) throws {
        guard !reasons.isEmpty else { return }
        let stamp = Self.timestamp(now)
        var filter = filter
        filter.unfinished = true
        let (clause, arguments) = filter.sql(runID: runID, positions: positions)
        try writer.write { db in
            for (space, reason) in reasons {
                try db.execute(
                    sql: """
                        UPDATE tasks SET state = 'pending', error_kind = 'unreachable', error = ?, updated_at = ?
                        WHERE id IN (
                            SELECT t.id FROM tasks t JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id
                            WHERE \(clause) AND s.name = ? AND t.state IN ('pending', 'running'))
                        """, arguments: [reason, stamp] + arguments + [space])
            }
        }
    }

    /// Keeps each space's final rate, adds its 429 answers, and says why it was stopped.
    package func recordSpaces(_ reports: [SpaceReport], runID: Int64) throws {
        try writer.write { db in
            for report in reports {
                try db.execute(
                    sql: """
                        INSERT INTO space_rates (run_id, space, rate, throttled, stopped) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (run_id, space) DO UPDATE SET rate = excluded.rate, throttled = throttled + excluded.throttled,
                            stopped = excluded.stopped
                        """,
                    arguments: [runID, report.space, max(report.rate, 0.001), report.throttled, report.stopped])
            }
        }
    }

    package func run(_ id: Int64) throws -> Run? {
        try writer.read { db in try Run.fetchOne(db, key: id) }
    }

    /// `run`, or the latest; a clear error when there is none.
    package func requireRun(_ id: Int64?) throws -> Run {
        if let id {
            guard let run = try run(id) else {
                throw FleetError("there is no run \(id) in \(path); `\(hint("runs"))` lists them.", status: .usage)
            }
            return run
        }
        guard let run = try writer.read({ db in try Run.order(Run.Columns.id.desc).fetchOne(db) }) else {
            throw FleetError(
                "there are no runs in \(path) yet; start one with `\(hint("rollout TEMPLATE.json"))`.", status: .usage)
        }
        return run
    }

    /// The run's state as an operator should read it: `running` only while a process holds it.
    /// A run read as running whose lock is free may have ended in between: its row, read again
    /// after the lock, says which.
    package func effectiveState(of run: Run) -> RunState {
        guard run.state == .running, !RunLock.isHeld(runID: run.id, database: filePath) else { return run.state }
        let stored = (try? writer.read { db in try Run.fetchOne(db, key: run.id) }) ?? nil
        guard let stored, stored.state != .running else { return .interrupted }
        return stored.state
    }

    package func waves(of runID: Int64) throws -> [Wave] {
        try writer.read { db in try Wave.filter(Wave.Columns.runID == runID).order(Wave.Columns.number).fetchAll(db) }
    }

    /// Moves a wave on; `bakeUntil` and the gate's result are kept when given.
    package func updateWave(
        runID: Int64, number: Int, state: Wave.State, bakeUntil: Date? = nil, gate: (status: Int, output: String)? = nil
    ) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    UPDATE waves SET state = ?, bake_until = coalesce(?, bake_until), gate_status = coalesce(?, gate_status),
                        gate_output = coalesce(?, gate_output) WHERE run_id = ? AND number = ?
                    """, arguments: [state, bakeUntil.map(Self.timestamp), gate?.status, gate?.output, runID, number])
        }
    }

    /// For a rollback of `runID`: every task of it that recorded a "before" (so may have changed
    /// its project), with that profile, what the run wrote there when the database knows it (the
    /// answer's or the read's "after", or the exact body of a plan or rollback), and the latest
    /// later run that wrote the project since. A stored profile that cannot be read back is an
    /// error naming the run and project, never skipped.
    package func rollbackSources(of runID: Int64) throws -> [RollbackSource] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT t.project_ref, p.project_id, t.state = 'succeeded' AS confirmed, b.profile AS before,
                        coalesce(a.profile, t.desired) AS written,
                        (SELECT max(o.run_id) FROM tasks o JOIN runs r ON r.id = o.run_id
                         WHERE o.project_ref = t.project_ref AND o.run_id > t.run_id AND o.state = 'succeeded'
                           AND r.rollback_of IS NOT t.run_id
                           AND EXISTS (SELECT 1 FROM snapshots x WHERE x.task_id = o.id AND x.kind = 'before')) AS later
                    FROM tasks t JOIN snapshots b ON b.task_id = t.id AND b.kind = 'before'
                    JOIN projects p ON p.id = t.project_ref
                    LEFT JOIN snapshots a ON a.task_id = t.id AND a.kind = 'after'
                    WHERE t.run_id = ? ORDER BY t.position
                    """, arguments: [runID]
            ).map { row in
                let project: String = row["project_id"]
                func profile(_ column: String, _ what: String) throws -> SipProfile? {
                    guard let json: String = row[column] else { return nil }
                    guard let profile = SipProfile.decode(Data(json.utf8)) else {
                        throw Self.damaged(what, run: runID, project: project)
                    }
                    return profile
                }
                return RollbackSource(
                    projectRef: row["project_ref"], before: try profile("before", "\"before\" profile")!,
                    written: try profile("written", "written profile"), confirmed: row["confirmed"],
                    laterRun: row["later"])
            }
        }
    }

    /// A stored value fleet cannot read back: a bug or a damaged file, never a default.
    package static func damaged(_ what: String, run: Int64, project: String) -> FleetError {
        .io(
            "the \(what) stored for project \(project) in run \(run) cannot be read back (the database is damaged); fleet sent nothing. Restore \(project)'s row from a backup, or leave that run alone."
        )
    }

    /// The rollback runs of `runID`, newest first.
    package func rollbacks(of runID: Int64) throws -> [Int64] {
        try writer.read { db in
            try Run.filter(Run.Columns.rollbackOf == runID).order(Run.Columns.id.desc)
                .select(Run.Columns.id, as: Int64.self).fetchAll(db)
        }
    }
}
