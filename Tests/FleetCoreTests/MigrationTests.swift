import FleetMigrations
import FleetStore
import FleetTestSupport
import Foundation
import GRDB
import Testing

/// A database written by an earlier fleet keeps every row through the migrations, and its
/// constraints refuse what they refused before.
@Suite struct MigrationTests {
    /// A database at 0005 (before the cheaper checks) with a run's tasks, attempts and snapshots
    /// in every state the recorder writes.
    private func databaseAt0005(_ directory: TemporaryDirectory) throws -> String {
        let path = directory.file("fleet.db")
        let queue = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        for (identifier, sql) in FleetMigrations.all.prefix(while: { $0.0 != "0006_cheaper_checks" }) {
            migrator.registerMigration(identifier) { db in try db.execute(sql: sql) }
        }
        try migrator.migrate(queue)
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO spaces (id, name, created_at) VALUES (1, 'acme', 't');
                    INSERT INTO projects (id, space_id, project_id, token, created_at, updated_at) VALUES
                      (1, 1, '00000000-0000-4000-8000-000000000001', 'PT1', 't', 't'),
                      (2, 1, '00000000-0000-4000-8000-000000000002', 'PT2', 't', 't'),
                      (3, 1, '00000000-0000-4000-8000-000000000003', 'PT3', 't', 't');
                    INSERT INTO runs (id, kind, state, template_name, template, template_sha256, selection, options, started_at, finished_at)
                      VALUES (1, 'rollout', 'halted', 'p.json', '{}', '\(String(repeating: "a", count: 64))', '{}', '{}', 't', 'f');
                    INSERT INTO tasks (id, run_id, project_ref, position, wave, state, attempts, http_status, error_kind, error, desired, expected, updated_at) VALUES
                      (1, 1, 1, 0, 1, 'succeeded', 2, 200, NULL, NULL, NULL, NULL, 't1'),
                      (2, 1, 2, 1, 2, 'failed', 1, 401, 'unauthorized', 'HTTP 401', '{"a":1}', '{"b":2}', 't2'),
                      (3, 1, 3, 2, 2, 'pending', 0, NULL, 'unreachable', 'host down', NULL, NULL, 't3');
                    INSERT INTO attempts (id, task_id, number, method, started_at, duration_ms, http_status, error_kind, message) VALUES
                      (1, 1, 1, 'GET', 's1', 20.5, 200, NULL, NULL),
                      (2, 1, 2, 'PUT', 's2', 21.25, 200, NULL, NULL),
                      (3, 2, 1, 'GET', 's3', 3.0, NULL, 'tls', 'certificate');
                    INSERT INTO snapshots (task_id, kind, profile, taken_at) VALUES
                      (1, 'before', '{"default_codecs":["PCMU"]}', 'b'), (1, 'after', '{"default_codecs":["OPUS"]}', 'a');
                    """)
        }
        return path
    }

    private func rows(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try ["tasks", "attempts", "snapshots"].flatMap { table in
                try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2").map { "\(table) \($0)" }
            }
        }
    }

    @Test func theCheaperChecksKeepEveryRowAndRefuseWhatTheOldChecksRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try databaseAt0005(directory)
        let before = try rows(path)
        #expect(before.count == 8)

        let database = try FleetDatabase(path: path)
        #expect(try rows(path) == before)
        let (foreignKeyProblems, integrity, indexes) = try database.writer.read { db in
            (
                try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count,
                try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
            )
        }
        #expect(foreignKeyProblems == 0)
        #expect(integrity == "ok")
        #expect(indexes.contains("tasks_by_project") && indexes.contains("attempts_failed"))

        let refused = [
            "UPDATE tasks SET state = 'done' WHERE id = 1",
            "UPDATE tasks SET state = 'failed', error_kind = 'gremlins' WHERE id = 1",
            "UPDATE tasks SET state = 'failed', error_kind = NULL WHERE id = 1",
            "UPDATE tasks SET error_kind = 'unreachable' WHERE id = 1",
            "INSERT INTO tasks (run_id, project_ref, position, updated_at) VALUES (1, 99, 5, 't')",
            "INSERT INTO attempts (task_id, number, method, started_at, duration_ms) VALUES (1, 3, 'POST', 's', 1)",
            "INSERT INTO attempts (task_id, number, method, started_at, duration_ms, error_kind) VALUES (1, 3, 'GET', 's', 1, 'render')",
            "INSERT INTO attempts (task_id, number, method, started_at, duration_ms) VALUES (99, 1, 'GET', 's', 1)",
        ]
        for statement in refused {
            #expect(throws: DatabaseError.self, "\(statement)") {
                try database.writer.write { db in try db.execute(sql: statement) }
            }
        }
        try database.writer.write { db in
            try db.execute(sql: "UPDATE tasks SET state = 'failed', error_kind = 'render', error = 'x' WHERE id = 1")
            try db.execute(
                sql:
                    "INSERT INTO attempts (task_id, number, method, started_at, duration_ms, error_kind) VALUES (1, 3, 'PUT', 's', 1, 'timeout')"
            )
        }
    }
}
