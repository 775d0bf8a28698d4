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
package struct Run: FleetRecord, Equatable {
    package static let databaseTableName = "runs"

    package var id: Int64
    package var kind: RunKind
    package var state: RunState
    package var templateName: String
    package var template: String
    package var templateSHA256: String
    package var selection: Selection
    package var options: ExecutionOptions
    package var rollbackOf: Int64?
    package var haltReason: String?
    package var startedAt: String
    package var finishedAt: String?
    /// Where the run's requests went; nil for runs recorded before fleet kept it.
    package var apiBase: String?
    package var planSHA256: String?

    /// The columns queries filter and sort on.
    package enum Columns {
        static let state = Column("state")
        static let finishedAt = Column("finished_at")
        static let haltReason = Column("halt_reason")
        static let rollbackOf = Column("rollback_of")
        static let id = Column("id")
    }
}

/// A row of `tasks`.
package struct RunTask: FleetRecord, Equatable {
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
    /// Profiles as JSON text, read with fleet's own JSON reader (`SipProfile.decode`) when a
    /// retry or rollback loads every task of a run: through `JSONDecoder` they cost a tenth of
    /// a rollout's CPU.
    package var desired: String?
    package var expected: String?
    package var updatedAt: String

    /// The columns queries filter and sort on.
    package enum Columns {
        static let attempts = Column("attempts")
        static let updatedAt = Column("updated_at")
        static let runID = Column("run_id")
        static let projectRef = Column("project_ref")
        static let position = Column("position")
        static let state = Column("state")
    }
}

/// A row of `attempts`: one HTTP request of a task.
package struct AttemptRow: FleetRecord, Equatable {
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

    /// The columns queries filter and sort on.
    package enum Columns {
        static let taskID = Column("task_id")
        static let number = Column("number")
    }
}

/// A row of `snapshots`: the profile a task found before its first write, or the one the API
/// answered after it, as JSON.
package struct Snapshot: FleetRecord, Equatable {
    package static let databaseTableName = "snapshots"

    package enum Kind: String, Sendable, Codable, DatabaseValueConvertible { case before, after }

    package var taskID: Int64
    package var kind: Kind
    package var profile: String
    package var takenAt: String

    /// The columns queries filter and sort on.
    package enum Columns {
        static let taskID = Column("task_id")
    }
}

/// A row of `executions`: one time a run was carried out (the first, and each retry).
package struct Execution: FleetRecord, Equatable {
    package static let databaseTableName = "executions"

    package var id: Int64
    package var runID: Int64
    package var number: Int
    package var startedAt: String
    package var finishedAt: String?
    package var ended: RunState?
    package var haltReason: String?
    package var options: ExecutionOptions
    package var tasks: Int
    package var pendingOnly: Bool

    /// The columns queries filter and sort on.
    package enum Columns {
        static let ended = Column("ended")
        static let haltReason = Column("halt_reason")
        static let finishedAt = Column("finished_at")
        static let runID = Column("run_id")
        static let number = Column("number")
    }
}

/// A row of `waves`: one stage of a staged run.
package struct Wave: FleetRecord, Equatable {
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

    /// The columns queries filter and sort on.
    package enum Columns {
        static let runID = Column("run_id")
        static let number = Column("number")
    }
}

/// A row of `space_rates`.
package struct SpaceRate: FleetRecord, Equatable {
    package static let databaseTableName = "space_rates"

    package var runID: Int64
    package var space: String
    package var rate: Double
    package var throttled: Int
    package var stopped: String?

    /// The columns queries filter and sort on.
    package enum Columns {
        static let runID = Column("run_id")
        static let space = Column("space")
    }
}
