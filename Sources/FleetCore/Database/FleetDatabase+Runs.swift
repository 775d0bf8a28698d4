import Foundation
import GRDB

public enum TaskState: String, Sendable, Codable, CaseIterable {
    case pending, running, succeeded, unchanged, failed
}

public enum RunState: String, Sendable, Codable {
    case running, finished, halted, interrupted
}

public enum RunKind: String, Sendable, Codable {
    case rollout, rollback
}

/// How many failures stop a run from starting more tasks: a count or a share of its tasks.
public enum FailureLimit: Sendable, Equatable, Codable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// Parses `N` or `N%`.
    public init?(argument: String) {
        if argument.hasSuffix("%") {
            guard let value = Double(argument.dropLast()), value >= 0, value <= 100 else { return nil }
            self = .percent(value)
        } else {
            guard let value = Int(argument), value >= 1 else { return nil }
            self = .count(value)
        }
    }

    public func limit(total: Int) -> Int {
        switch self {
        case .count(let count): count
        case .percent(let share): max(1, Int((Double(total) * share / 100).rounded(.up)))
        }
    }

    public var description: String {
        switch self {
        case .count(let count): "\(count)"
        case .percent(let share): share == share.rounded() ? "\(Int(share))%" : "\(share)%"
        }
    }
}

/// The execution options of SPEC.md, recorded with the run.
public struct ExecutionOptions: Sendable, Equatable, Codable {
    public var concurrency: Int = 16
    public var rate: Double = 50
    public var maxAttempts: Int = 5
    public var timeoutSeconds: Double = 30
    public var canary: Int?
    public var maxFailures: FailureLimit?
    public var force: Bool = false

    public init() {}

    public var timeout: Duration { .milliseconds(Int64(timeoutSeconds * 1000)) }
}

/// A row of `runs`.
public struct Run: Sendable, Equatable, FetchableRecord {
    public var id: Int64
    public var kind: RunKind
    public var state: RunState
    public var templateName: String
    public var template: String
    public var templateSHA256: String
    public var selection: String
    public var options: String
    public var rollbackOf: Int64?
    public var haltReason: String?
    public var startedAt: String
    public var finishedAt: String?

    public init(row: Row) throws {
        id = row["id"]
        kind = RunKind(rawValue: row["kind"]) ?? .rollout
        state = RunState(rawValue: row["state"]) ?? .interrupted
        templateName = row["template_name"]
        template = row["template"]
        templateSHA256 = row["template_sha256"]
        selection = row["selection"]
        options = row["options"]
        rollbackOf = row["rollback_of"]
        haltReason = row["halt_reason"]
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
    }

    public var executionOptions: ExecutionOptions {
        (try? JSONDecoder().decode(ExecutionOptions.self, from: Data(options.utf8))) ?? ExecutionOptions()
    }
}

/// One task the executor has to carry out, with everything it needs and nothing it must look up.
public struct TaskWork: Sendable {
    public var taskID: Int64
    public var project: Project
    public var credentials: Credentials
    public var patch: ProfilePatch
    /// HTTP attempts the task made in earlier executions, so attempt numbers go on from there.
    public var previousAttempts: Int
    /// Whether a "before" snapshot exists; a retried task keeps its first.
    public var hasBefore: Bool
}

/// A new run's description.
public struct RunSpec: Sendable {
    public var kind: RunKind
    public var templateName: String
    public var template: String
    public var templateSHA256: String
    public var selection: Selection
    public var options: ExecutionOptions
    public var rollbackOf: Int64?
    /// (project row id, the exact profile to put back for a rollback task)
    public var tasks: [(projectRef: Int64, desired: SipProfile?)]

    public init(kind: RunKind, templateName: String, template: String, templateSHA256: String, selection: Selection,
                options: ExecutionOptions, rollbackOf: Int64? = nil, tasks: [(projectRef: Int64, desired: SipProfile?)]) {
        self.kind = kind
        self.templateName = templateName
        self.template = template
        self.templateSHA256 = templateSHA256
        self.selection = selection
        self.options = options
        self.rollbackOf = rollbackOf
        self.tasks = tasks
    }
}

extension FleetDatabase {
    /// Records a run and one pending task per project in one transaction, and takes the run's
    /// lock before the run becomes visible, so no reader ever sees it running without an owner.
    /// Returns the task ids in the order of `spec.tasks`.
    public func startRun(_ spec: RunSpec) throws -> (run: Run, lock: RunLock, taskIDs: [Int64]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let selection = String(decoding: try encoder.encode(spec.selection), as: UTF8.self)
        let options = String(decoding: try encoder.encode(spec.options), as: UTF8.self)
        return try writer.write { db in
            let now = Self.timestamp()
            try db.execute(sql: """
                INSERT INTO runs (kind, state, template_name, template, template_sha256, selection, options, rollback_of, started_at)
                VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [spec.kind.rawValue, spec.templateName, spec.template, spec.templateSHA256, selection, options, spec.rollbackOf, now])
            let runID = db.lastInsertedRowID
            let lock = try RunLock.acquire(runID: runID, database: path)
            let insert = try db.cachedStatement(sql: """
                INSERT INTO tasks (run_id, project_ref, position, desired, updated_at) VALUES (?, ?, ?, ?, ?)
                """)
            var taskIDs: [Int64] = []
            taskIDs.reserveCapacity(spec.tasks.count)
            for (position, task) in spec.tasks.enumerated() {
                try insert.execute(arguments: [runID, task.projectRef, position, task.desired?.jsonString(), now])
                taskIDs.append(db.lastInsertedRowID)
            }
            let run = try Run.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID])!
            return (run, lock, taskIDs)
        }
    }

    /// Takes over `run` for `fleet retry`: its lock, state `running` again, and no task left `running`.
    public func resumeRun(_ runID: Int64) throws -> (run: Run, lock: RunLock) {
        let lock = try RunLock.acquire(runID: runID, database: path)
        let run = try writer.write { db in
            try db.execute(sql: "UPDATE runs SET state = 'running', finished_at = NULL, halt_reason = NULL WHERE id = ?", arguments: [runID])
            try db.execute(sql: "UPDATE tasks SET state = 'pending' WHERE run_id = ? AND state = 'running'", arguments: [runID])
            return try Run.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID])!
        }
        return (run, lock)
    }

    /// Ends an execution: tasks it left `running` (waiting for a retry, or cut off) go back to
    /// `pending`, so `fleet retry` picks them up.
    public func finishRun(_ runID: Int64, state: RunState, haltReason: String? = nil) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE tasks SET state = 'pending', updated_at = ? WHERE run_id = ? AND state = 'running'",
                           arguments: [Self.timestamp(), runID])
            try db.execute(sql: "UPDATE runs SET state = ?, halt_reason = ?, finished_at = ? WHERE id = ?",
                           arguments: [state.rawValue, haltReason, Self.timestamp(), runID])
        }
    }

    public func run(_ id: Int64) throws -> Run? {
        try writer.read { db in try Run.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) }
    }

    public func latestRun() throws -> Run? {
        try writer.read { db in try Run.fetchOne(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT 1") }
    }

    /// `run`, or the latest; a clear error when there is none.
    public func requireRun(_ id: Int64?) throws -> Run {
        if let id {
            guard let run = try run(id) else {
                throw FleetError("there is no run \(id) in \(path); `fleet runs` lists them.", status: .usage)
            }
            return run
        }
        guard let run = try latestRun() else {
            throw FleetError("there are no runs in \(path) yet; start one with `fleet rollout TEMPLATE.json`.", status: .usage)
        }
        return run
    }

    /// The run's state as an operator should read it: `running` only while a process holds it.
    public func effectiveState(of run: Run) -> RunState {
        if run.state == .running && !RunLock.isHeld(runID: run.id, database: path) { return .interrupted }
        return run.state
    }

    /// The tasks of `run` still to do (every state but succeeded and unchanged), in run order,
    /// with their projects as the inventory has them now.
    public func unfinishedTasks(of runID: Int64) throws -> [(taskID: Int64, project: Project, desired: SipProfile?, attempts: Int, hasBefore: Bool)] {
        try writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT t.id AS task_id, t.desired, t.attempts,
                       EXISTS (SELECT 1 FROM snapshots WHERE task_id = t.id AND kind = 'before') AS has_before,
                       p.id, s.name AS space, p.project_id, p.token, p.label, p.tags, p.variables, p.enabled
                FROM tasks t JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id
                WHERE t.run_id = ? AND t.state NOT IN ('succeeded', 'unchanged')
                ORDER BY t.position
                """, arguments: [runID])
            return try rows.map { row in
                let desired = (row["desired"] as String?).flatMap { SipProfile.decode(Data($0.utf8)) }
                return (row["task_id"], try Project(row: row), desired, row["attempts"], row["has_before"])
            }
        }
    }

    /// For a rollback of `runID`: every task of it that recorded a "before" (so may have changed
    /// its project), with that profile.
    public func beforeSnapshots(of runID: Int64) throws -> [(projectRef: Int64, before: SipProfile)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.project_ref, s.profile FROM tasks t JOIN snapshots s ON s.task_id = t.id AND s.kind = 'before'
                WHERE t.run_id = ? ORDER BY t.position
                """, arguments: [runID]).compactMap { row in
                    SipProfile.decode(Data((row["profile"] as String).utf8)).map { (row["project_ref"], $0) }
                }
        }
    }
}
