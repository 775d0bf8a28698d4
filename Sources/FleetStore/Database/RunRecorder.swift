import FleetModel
import Foundation
import GRDB
import Synchronization

/// Group commit: concurrent callers' updates go into one transaction, and each caller returns
/// only once its update is on disk. The first caller to arrive while no commit is running leads:
/// it waits `window` (or lets the tasks that are ready run, without one) for others to join,
/// writes its own update and every one queued behind it, then hands the lead to the next
/// waiter, so no caller works for others for long and nothing runs outside structured tasks.
package final class RunRecorder: TaskRecorder {
    private enum Wake: Sendable {
        case committed
        case failed(FleetError)
        case lead
    }
    private struct Waiter {
        var updates: [TaskUpdate]
        var continuation: CheckedContinuation<Wake, Never>
    }
    private struct State {
        var leading = false
        var queue: [Waiter] = []
    }

    private let database: FleetDatabase
    private let runID: Int64
    private let clock: any FleetClock
    private let window: Duration
    private let state = Mutex(State())

    package init(database: FleetDatabase, runID: Int64, clock: any FleetClock, window: Duration = .zero) {
        self.database = database
        self.runID = runID
        self.clock = clock
        self.window = window
    }

    package func commit(_ updates: [TaskUpdate]) async throws {
        let wake: Wake = await withCheckedContinuation { continuation in
            let lead = state.withLock { state -> Bool in
                if state.leading {
                    state.queue.append(Waiter(updates: updates, continuation: continuation))
                    return false
                }
                state.leading = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        switch wake {
        case .committed: return
        case .failed(let error): throw error
        case .lead: try await lead(with: updates)
        }
    }

    private func lead(with own: [TaskUpdate]) async throws {
        // Let other answers arrive (or the tasks that are ready run) first: they join this batch.
        if window > .zero { try? await clock.sleep(for: window) } else { await Task.yield() }
        let followers = state.withLock { state -> [Waiter] in
            defer { state.queue.removeAll() }
            return state.queue
        }
        var outcome = Wake.committed
        do {
            try await writeNow([own] + followers.map(\.updates))
        } catch {
            outcome = .failed(
                database.runFailure(error, runID: runID) as? FleetError
                    ?? .internal("cannot record a result in \(database.path): \(error)."))
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
        if case .failed(let error) = outcome { throw error }
    }

    /// On GRDB's writer queue, never on the event loop the requests share: the network goes on
    /// while SQLite writes (or waits for another process's lock), and the updates that arrive
    /// meanwhile make the next batch. Not cancellable: an answer in hand is recorded even when a
    /// second Ctrl-C cancels the requests in flight. The statements are prepared once per
    /// connection; this is the executor's hot path.
    private func writeNow(_ batches: [[TaskUpdate]]) async throws {
        let now = FleetDatabase.timestamp(clock.date())
        try await clock.waitingOutside { [database] in
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                database.writer.asyncWrite(
                    { db in
                        for updates in batches {
                            for update in updates { try Self.write(update, at: now, db) }
                        }
                    }, completion: { _, result in continuation.resume(with: result) })
            }
        }
    }

    private static func write(_ update: TaskUpdate, at now: String, _ db: Database) throws {
        if let attempt = update.attempt {
            try db.cachedStatement(
                sql: """
                    INSERT INTO attempts (task_id, number, method, started_at, duration_ms, http_status, error_kind, message)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                update.taskID, attempt.number, attempt.method, FleetDatabase.timestamp(attempt.startedAt),
                attempt.duration.milliseconds, attempt.httpStatus, attempt.failure?.kind.rawValue,
                attempt.failure?.message,
            ])
        }
        if let before = update.before {
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO snapshots (task_id, kind, profile, taken_at) VALUES (?, 'before', ?, ?)"
            )
            .execute(arguments: [update.taskID, before, now])
        }
        if let after = update.after {
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO snapshots (task_id, kind, profile, taken_at) VALUES (?, 'after', ?, ?)"
            )
            .execute(arguments: [update.taskID, after, now])
        }
        try db.cachedStatement(
            sql: """
                UPDATE tasks SET state = ?, attempts = ?, http_status = ?, error_kind = ?, error = ?, updated_at = ? WHERE id = ?
                """
        ).execute(arguments: [
            update.state.rawValue, update.attempts, update.httpStatus, update.errorKind?.rawValue, update.error, now,
            update.taskID,
        ])
    }
}
