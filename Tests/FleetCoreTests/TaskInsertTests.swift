import FleetModel
import FleetTestSupport
import Foundation
import GRDB
import Testing

@testable import FleetStore

/// A run's tasks go in a chunk of project ids at a time; each keeps its place and its wave across
/// the chunks.
@Suite struct TaskInsertTests {
    @Test func tasksInSeveralChunksKeepTheirPositionsAndWaves() throws {
        let fixture = try Fixture(projects: TestProject.make(7, spaces: 2))
        let refs: [Int64] = try fixture.database.writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM projects ORDER BY id DESC")
        }
        let rows: [Row] = try fixture.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (kind, state, template_name, template, template_sha256, selection, options, started_at)
                    VALUES ('rollout', 'running', 'p.json', '{}', '\(String(repeating: "a", count: 64))', '{}', '{}', 't')
                    """)
            // Waves ending before positions 2 and 5, and at 7; chunks of 3 ids.
            try FleetDatabase.insertTasks(
                .projects(refs), runID: db.lastInsertedRowID, waveEnds: [2, 5, 7], now: "t", db, chunk: 3)
            return try Row.fetchAll(db, sql: "SELECT project_ref, position, wave, state FROM tasks ORDER BY position")
        }

        #expect(rows.map { $0["project_ref"] as Int64 } == refs)
        #expect(rows.map { $0["position"] as Int } == Array(0..<7))
        #expect(rows.map { $0["wave"] as Int } == [1, 1, 2, 2, 2, 3, 3])
        #expect(rows.allSatisfy { $0["state"] as String == "pending" })
    }
}
