import FleetModel
import Foundation
import GRDB

/// A run's tasks as an execution reads them: a window at a time, never all at once.
extension FleetDatabase {
    /// The spaces with tasks of `runID` to do at `positions` (as `filter` says), in the order of
    /// their first task, each with its count and the positions of its first and last.
    package func taskSpaces(of runID: Int64, at positions: Range<Int>, _ filter: TaskFilter) async throws
        -> [(name: String, tasks: Int, first: Int, last: Int)]
    {
        let (clause, arguments) = filter.sql(runID: runID, positions: positions)
        return try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.name, x.n, x.first, x.last FROM (
                        SELECT p.space_id, count(*) AS n, min(t.position) AS first, max(t.position) AS last
                        FROM tasks t JOIN projects p ON p.id = t.project_ref
                        WHERE \(clause) GROUP BY p.space_id
                    ) x JOIN spaces s ON s.id = x.space_id ORDER BY x.first
                    """, arguments: arguments
            ).map { (name: $0["name"], tasks: $0["n"], first: $0["first"], last: $0["last"]) }
        }
    }

    /// Up to `limit` tasks of `runID` to do at `positions`, in run order, each made into what
    /// `make` makes of it on the database's queue (off the caller's thread).
    package func tasks<Work: Sendable>(
        of runID: Int64, at positions: Range<Int>, limit: Int, _ filter: TaskFilter,
        _ make: @escaping @Sendable (PendingTask) throws -> Work
    ) async throws -> [Work] {
        let (clause, arguments) = filter.sql(runID: runID, positions: positions)
        return try await writer.read { db in
            try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(PendingTask.columns)
                    FROM tasks t JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id
                    WHERE \(clause) ORDER BY t.position LIMIT ?
                    """, arguments: arguments + [limit]
            ).map { try make(try PendingTask(row: $0)) }.reduce(into: []) { $0.append($1) }
        }
    }

    /// Every task of `runID` to do, in run order, one at a time: what a retry checks before it
    /// starts, without holding them.
    package func forEachTask(of runID: Int64, _ filter: TaskFilter, _ body: (PendingTask) throws -> Void) throws {
        let (clause, arguments) = filter.sql(runID: runID, positions: 0..<Int.max)
        try writer.read { db in
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(PendingTask.columns)
                    FROM tasks t JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id
                    WHERE \(clause) ORDER BY t.position
                    """, arguments: arguments)
            while let row = try cursor.next() { try body(try PendingTask(row: row)) }
        }
    }

    /// Every project `selection` selects, in inventory order, one at a time: what a rollout
    /// checks and records before it starts, without holding them.
    package func forEachProject(_ selection: Selection, _ body: (Project) throws -> Void) throws {
        let (sql, arguments) = selection.sql()
        try writer.read { db in
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try cursor.next() { try body(try Project(row: row)) }
        }
    }
}
