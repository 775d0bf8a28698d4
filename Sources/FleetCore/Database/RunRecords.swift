import Foundation
import GRDB

public enum TaskState: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    case pending, running, succeeded, unchanged, failed

    /// Carried to an end: a retry does not rerun it.
    public var isFinal: Bool { self == .succeeded || self == .unchanged }
}

public enum RunState: String, Sendable, Codable, DatabaseValueConvertible {
    case running, finished, halted, interrupted
}

public enum RunKind: String, Sendable, Codable, DatabaseValueConvertible {
    case rollout, rollback
}

extension ErrorKind: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { rawValue.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> ErrorKind? {
        String.fromDatabaseValue(dbValue).flatMap(ErrorKind.init(rawValue:))
    }
}

/// A row of `runs`. Its kind and state are decoded strictly: an unknown value is an error.
public struct Run: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    public static let databaseTableName = "runs"

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
    /// Where the run's requests went; nil for runs recorded before fleet kept it.
    public var apiBase: String?
    public var planSHA256: String?

    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, kind, state, template, selection, options
        case templateName = "template_name", templateSHA256 = "template_sha256", rollbackOf = "rollback_of"
        case haltReason = "halt_reason", startedAt = "started_at", finishedAt = "finished_at", apiBase = "api_base"
        case planSHA256 = "plan_sha256"
    }

    public typealias Columns = CodingKeys

    /// The execution options the run was started with.
    public func executionOptions() throws -> ExecutionOptions {
        do {
            return try JSONDecoder().decode(ExecutionOptions.self, from: Data(options.utf8))
        } catch {
            throw FleetError.internal("the options recorded for run \(id) cannot be read (\(error)).")
        }
    }
}

/// A row of `tasks`.
public struct RunTask: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    public static let databaseTableName = "tasks"

    public var id: Int64
    public var runID: Int64
    public var projectRef: Int64
    public var position: Int
    public var wave: Int
    public var state: TaskState
    public var attempts: Int
    public var httpStatus: Int?
    public var errorKind: ErrorKind?
    public var error: String?
    public var desired: String?
    public var expected: String?
    public var updatedAt: String

    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, position, wave, state, attempts, error, desired, expected
        case runID = "run_id", projectRef = "project_ref", httpStatus = "http_status", errorKind = "error_kind", updatedAt = "updated_at"
    }

    public typealias Columns = CodingKeys
}

/// A row of `attempts`: one HTTP request of a task.
public struct AttemptRow: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    public static let databaseTableName = "attempts"

    public var id: Int64
    public var taskID: Int64
    public var number: Int
    public var method: String
    public var startedAt: String
    public var durationMs: Double
    public var httpStatus: Int?
    public var errorKind: ErrorKind?
    public var message: String?

    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, number, method, message
        case taskID = "task_id", startedAt = "started_at", durationMs = "duration_ms", httpStatus = "http_status", errorKind = "error_kind"
    }

    public typealias Columns = CodingKeys
}

/// A row of `snapshots`: the profile a task found before its first write, or the one the API
/// answered after it, as JSON.
public struct Snapshot: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    public static let databaseTableName = "snapshots"

    public enum Kind: String, Sendable, Codable, DatabaseValueConvertible { case before, after }

    public var taskID: Int64
    public var kind: Kind
    public var profile: String
    public var takenAt: String

    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case kind, profile
        case taskID = "task_id", takenAt = "taken_at"
    }

    public typealias Columns = CodingKeys
}

/// A row of `executions`: one time a run was carried out (the first, and each retry).
public struct Execution: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    public static let databaseTableName = "executions"

    public var id: Int64
    public var runID: Int64
    public var number: Int
    public var startedAt: String
    public var finishedAt: String?
    public var ended: RunState?
    public var haltReason: String?
    public var options: String
    public var tasks: Int
    public var pendingOnly: Bool

    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, number, ended, options, tasks
        case runID = "run_id", startedAt = "started_at", finishedAt = "finished_at", haltReason = "halt_reason", pendingOnly = "pending_only"
    }

    public typealias Columns = CodingKeys
}

/// A row of `waves`: one stage of a staged run.
public struct Wave: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    public static let databaseTableName = "waves"

    public enum State: String, Sendable, Codable, DatabaseValueConvertible {
        case pending, running, baking, gating, passed, halted
    }

    public var runID: Int64
    public var number: Int
    public var endPosition: Int
    public var state: State
    public var bakeUntil: String?
    public var gateStatus: Int?
    public var gateOutput: String?

    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case number, state
        case runID = "run_id", endPosition = "end_position", bakeUntil = "bake_until", gateStatus = "gate_status", gateOutput = "gate_output"
    }

    public typealias Columns = CodingKeys
}

/// A row of `space_rates`.
public struct SpaceRate: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    public static let databaseTableName = "space_rates"

    public var runID: Int64
    public var space: String
    public var rate: Double
    public var throttled: Int
    public var stopped: String?

    public enum CodingKeys: String, CodingKey, ColumnExpression {
        case space, rate, throttled, stopped
        case runID = "run_id"
    }

    public typealias Columns = CodingKeys
}
