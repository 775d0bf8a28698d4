import FleetModel
import Foundation
import GRDB

// The states are stored as their names.
extension TaskState: DatabaseValueConvertible {}
extension RunState: DatabaseValueConvertible {}
extension RunKind: DatabaseValueConvertible {}

extension ErrorKind: DatabaseValueConvertible {
    package var databaseValue: DatabaseValue { rawValue.databaseValue }

    package static func fromDatabaseValue(_ dbValue: DatabaseValue) -> ErrorKind? {
        String.fromDatabaseValue(dbValue).flatMap(ErrorKind.init(rawValue:))
    }
}

/// A row of `runs`. Its kind and state are decoded strictly: an unknown value is an error.
package struct Run: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    package static let databaseTableName = "runs"

    package var id: Int64
    package var kind: RunKind
    package var state: RunState
    package var templateName: String
    package var template: String
    package var templateSHA256: String
    package var selection: String
    package var options: String
    package var rollbackOf: Int64?
    package var haltReason: String?
    package var startedAt: String
    package var finishedAt: String?
    /// Where the run's requests went; nil for runs recorded before fleet kept it.
    package var apiBase: String?
    package var planSHA256: String?

    package enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, kind, state, template, selection, options
        case templateName = "template_name"
        case templateSHA256 = "template_sha256"
        case rollbackOf = "rollback_of"
        case haltReason = "halt_reason"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case apiBase = "api_base"
        case planSHA256 = "plan_sha256"
    }

    package typealias Columns = CodingKeys

    /// The execution options the run was started with.
    package func executionOptions() throws -> ExecutionOptions {
        do {
            return try JSONDecoder().decode(ExecutionOptions.self, from: Data(options.utf8))
        } catch {
            throw FleetError.internal("the options recorded for run \(id) cannot be read (\(error)).")
        }
    }
}

/// A row of `tasks`.
package struct RunTask: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    package static let databaseTableName = "tasks"

    package var id: Int64
    package var runID: Int64
    package var projectRef: Int64
    package var position: Int
    package var wave: Int
    package var state: TaskState
    package var attempts: Int
    package var httpStatus: Int?
    package var errorKind: ErrorKind?
    package var error: String?
    package var desired: String?
    package var expected: String?
    package var updatedAt: String

    package enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, position, wave, state, attempts, error, desired, expected
        case runID = "run_id"
        case projectRef = "project_ref"
        case httpStatus = "http_status"
        case errorKind = "error_kind"
        case updatedAt = "updated_at"
    }

    package typealias Columns = CodingKeys
}

/// A row of `attempts`: one HTTP request of a task.
package struct AttemptRow: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    package static let databaseTableName = "attempts"

    package var id: Int64
    package var taskID: Int64
    package var number: Int
    package var method: String
    package var startedAt: String
    package var durationMs: Double
    package var httpStatus: Int?
    package var errorKind: ErrorKind?
    package var message: String?

    package enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, number, method, message
        case taskID = "task_id"
        case startedAt = "started_at"
        case durationMs = "duration_ms"
        case httpStatus = "http_status"
        case errorKind = "error_kind"
    }

    package typealias Columns = CodingKeys
}

/// A row of `snapshots`: the profile a task found before its first write, or the one the API
/// answered after it, as JSON.
package struct Snapshot: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    package static let databaseTableName = "snapshots"

    package enum Kind: String, Sendable, Codable, DatabaseValueConvertible { case before, after }

    package var taskID: Int64
    package var kind: Kind
    package var profile: String
    package var takenAt: String

    package enum CodingKeys: String, CodingKey, ColumnExpression {
        case kind, profile
        case taskID = "task_id"
        case takenAt = "taken_at"
    }

    package typealias Columns = CodingKeys
}

/// A row of `executions`: one time a run was carried out (the first, and each retry).
package struct Execution: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    package static let databaseTableName = "executions"

    package var id: Int64
    package var runID: Int64
    package var number: Int
    package var startedAt: String
    package var finishedAt: String?
    package var ended: RunState?
    package var haltReason: String?
    package var options: String
    package var tasks: Int
    package var pendingOnly: Bool

    package enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, number, ended, options, tasks
        case runID = "run_id"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case haltReason = "halt_reason"
        case pendingOnly = "pending_only"
    }

    package typealias Columns = CodingKeys
}

/// A row of `waves`: one stage of a staged run.
package struct Wave: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    package static let databaseTableName = "waves"

    package enum State: String, Sendable, Codable, DatabaseValueConvertible {
        case pending, running, baking, gating, passed, halted
    }

    package var runID: Int64
    package var number: Int
    package var endPosition: Int
    package var state: State
    package var bakeUntil: String?
    package var gateStatus: Int?
    package var gateOutput: String?

    package enum CodingKeys: String, CodingKey, ColumnExpression {
        case number, state
        case runID = "run_id"
        case endPosition = "end_position"
        case bakeUntil = "bake_until"
        case gateStatus = "gate_status"
        case gateOutput = "gate_output"
    }

    package typealias Columns = CodingKeys
}

/// A row of `space_rates`.
package struct SpaceRate: Sendable, Equatable, Codable, FetchableRecord, TableRecord {
    package static let databaseTableName = "space_rates"

    package var runID: Int64
    package var space: String
    package var rate: Double
    package var throttled: Int
    package var stopped: String?

    package enum CodingKeys: String, CodingKey, ColumnExpression {
        case space, rate, throttled, stopped
        case runID = "run_id"
    }

    package typealias Columns = CodingKeys
}
