import Foundation
import GRDB
import Synchronization

/// What the executor writes about a task after one HTTP attempt: the attempt, maybe a snapshot,
/// and the task's new state, committed together.
public struct TaskRecord: Sendable {
    public struct Attempt: Sendable {
        public var number: Int
        public var method: String
        public var startedAt: Date
        public var duration: Duration
        public var httpStatus: Int?
        public var failure: RequestFailure?
    }

    public var taskID: Int64
    public var attempt: Attempt?
    public var state: TaskState
    public var attempts: Int
    public var httpStatus: Int?
    public var errorKind: ErrorKind?
    public var error: String?
    /// The profile JSON as the API answered it. `before` is inserted only if the task has none
    /// yet: a retried task keeps its first.
    public var before: String?
    public var after: String?
}

/// Group commit: concurrent callers' records go into one transaction, and each caller returns
/// only once its record is on disk. The first caller to arrive while no commit is running leads:
/// it writes its own record and every one queued behind it, then hands the lead to the next
/// waiter, so no caller works for others for long and nothing runs outside structured tasks.
public final class RunRecorder: Sendable {
    private enum Wake: Sendable { case committed, failed(String), lead }
    private struct Waiter { var records: [TaskRecord]; var continuation: CheckedContinuation<Wake, Never> }
    private struct State { var leading = false; var queue: [Waiter] = [] }

    private let database: FleetDatabase
    private let state = Mutex(State())

    public init(database: FleetDatabase) {
        self.database = database
    }

    public func commit(_ records: [TaskRecord]) async throws {
        let wake: Wake = await withCheckedContinuation { continuation in
            let lead = state.withLock { state -> Bool in
                if state.leading {
                    state.queue.append(Waiter(records: records, continuation: continuation))
                    return false
                }
                state.leading = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        switch wake {
        case .committed: return
        case .failed(let message): throw failure(message)
        case .lead: try await lead(with: records)
        }
    }

    private func lead(with own: [TaskRecord]) async throws {
        // Let the tasks that are ready run first: those that reach `commit` join this batch.
        await Task.yield()
        let followers = state.withLock { state -> [Waiter] in
            defer { state.queue.removeAll() }
            return state.queue
        }
        var outcome = Wake.committed
        do {
            try writeNow([own] + followers.map(\.records))
        } catch {
            outcome = .failed("\(error)")
        }
        for follower in followers { follower.continuation.resume(returning: outcome) }
        let next = state.withLock { state -> Waiter? in
            if state.queue.isEmpty {
                state.leading = false
                return nil
            }
            return state.queue.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        if case .failed(let message) = outcome { throw failure(message) }
    }

    private func failure(_ message: String) -> FleetError {
        .internal("cannot record a result in \(database.path): \(message). The run stops; `fleet retry` finishes it once the database can be written.")
    }

    /// Synchronous, on the calling thread: no hop to GRDB's queue and back for each batch.
    private func writeNow(_ batches: [[TaskRecord]]) throws {
        let now = FleetDatabase.timestamp()
        try database.writer.write { db in
            for records in batches { try Self.write(records, at: now, db) }
        }
    }

    private static func write(_ records: [TaskRecord], at now: String, _ db: Database) throws {
        for record in records {
            if let attempt = record.attempt {
                try db.cachedStatement(sql: """
                    INSERT INTO attempts (task_id, number, method, started_at, duration_ms, http_status, error_kind, message)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [
                        record.taskID, attempt.number, attempt.method, FleetDatabase.timestamp(attempt.startedAt),
                        attempt.duration.milliseconds, attempt.httpStatus, attempt.failure?.kind.rawValue, attempt.failure?.message,
                    ])
            }
            if let before = record.before {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO snapshots (task_id, kind, profile, taken_at) VALUES (?, 'before', ?, ?)")
                    .execute(arguments: [record.taskID, before, now])
            }
            if let after = record.after {
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO snapshots (task_id, kind, profile, taken_at) VALUES (?, 'after', ?, ?)")
                    .execute(arguments: [record.taskID, after, now])
            }
            try db.cachedStatement(sql: """
                UPDATE tasks SET state = ?, attempts = ?, http_status = ?, error_kind = ?, error = ?, updated_at = ? WHERE id = ?
                """).execute(arguments: [
                    record.state.rawValue, record.attempts, record.httpStatus, record.errorKind?.rawValue, record.error, now, record.taskID,
                ])
        }
    }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    var seconds: Double { milliseconds / 1000 }
}
