import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import GRDB
import Testing

@Suite struct DemoTests {
    @Test func theDemoEndsWithEveryProjectSucceeded() async throws {
        // Given a database path that does not exist yet
        let directory = try TemporaryDirectory()
        let db = directory.file("demo.db")

        // When the demo runs
        let result = try await FleetBinary.run(["demo", "--db", db])

        // Then it exits 0, told the story step by step, and its final status is all green
        #expect(result.status == 0, "\(result.output)")
        for step in [
            "$ fleet import samples/projects.csv", "$ fleet plan samples/profile.json",
            "$ fleet rollout samples/profile.json --concurrency 16 --yes",
            "$ fleet status", "$ fleet import samples/corrected-tokens.csv", "$ fleet retry --yes",
        ] {
            #expect(result.stdout.contains(step), "missing step \(step)")
        }
        #expect(
            result.stdout.contains(
                "unauthorized: HTTP 401: the project's token was refused; check it and its Voice scope (2 projects: "))
        let database = try FleetDatabase(path: db, access: .read)
        let run = try database.requireRun(nil)
        let report = try StatusReport.load(run, from: database, now: Date())
        #expect(report.state == .finished)
        #expect(report.counts.total == 40)
        #expect(report.counts.succeeded == 40)
        #expect(report.projects.allSatisfy { $0.status == .succeeded })
        let transient = try await database.writer.read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM attempts WHERE error_kind IN ('server', 'network', 'rate_limited')")!
        }
        #expect(transient > 0, "the demo's faults should have been absorbed by retries")

        // And the command its last line suggests works when pasted
        let suggested = try #require(result.stdout.split(separator: "`").dropLast().last.map(String.init))
        #expect(suggested == "fleet runs --db \(db)")
        let runs = try await FleetBinary.run(Array(suggested.split(separator: " ").dropFirst().map(String.init)))
        #expect(runs.status == 0)
        #expect(runs.stdout.contains("rollout"))
        let tokens = try String(contentsOfFile: repositoryRoot + "/samples/projects.csv", encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",")[2] }
        #expect(tokens.allSatisfy { !result.output.contains($0) })
    }

    @Test func theDemoRefusesAnExistingDatabase() async throws {
        let directory = try TemporaryDirectory()
        let db = try directory.write("taken.db", "")

        let result = try await FleetBinary.run(["demo", "--db", db])

        #expect(result.status == 64)
        #expect(
            result.stderr
                == "fleet: the demo needs a new database, and \(db) exists; give --db a path that does not exist yet.\n"
        )
    }
}
