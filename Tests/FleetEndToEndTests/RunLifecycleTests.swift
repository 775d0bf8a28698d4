import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

/// rollout, status, retry and rollback through the built binary against the in-process simulator,
/// including kill -9 and Ctrl-C.
@Suite struct RunLifecycleTests {
    /// The fleet binary on a fixture, against a simulator served at `apiBase`.
    struct BinaryFleet {
        let fixture: Fixture
        let template: String
        let apiBase: String
        var db: String { fixture.database.path }

        func fleet(_ arguments: [String]) async throws -> CommandResult {
            try await FleetBinary.run(arguments + options(for: arguments[0]))
        }

        func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
            try FleetBinary.start(arguments + options(for: arguments[0]))
        }

        /// `--db`, and `--api-base` for the commands that call the API.
        func options(for command: String) -> [String] {
            ["--db", db] + (["plan", "rollout", "retry", "rollback"].contains(command) ? ["--api-base", apiBase] : [])
        }

        func status() async throws -> [String: Any] {
            let result = try await fleet(["status", "--json"])
            return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        }

        func integrity() async throws -> String {
            try await fixture.database.writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? ""
            }
        }
    }

    static func setup(_ fixture: Fixture, _ apiBase: String) throws -> BinaryFleet {
        BinaryFleet(
            fixture: fixture, template: try fixture.directory.write("profile.json", secureTemplate), apiBase: apiBase)
    }

    @Test(arguments: [(3, 11), (25, 5), (70, 7)])
    func aRunKilledAfter3Or25Or70RequestsIsReportedInterruptedAndFinishedByRetry(killAt: Int, seed: UInt64) async throws
    {
        let projects = TestProject.make(80)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.latency = .milliseconds(4)
        faults.failRate = 0.1
        faults.seed = seed
        try await withSimulator(projects, faults) { simulator, apiBase in
            let setup = try Self.setup(fixture, apiBase)

            // Given a rollout killed with SIGKILL after `killAt` requests
            let (process, out, err) = try setup.start([
                "rollout", "--yes", setup.template, "--concurrency", "8", "--rate", "10000", "--max-attempts", "10",
            ])
            await FleetBinary.wait(for: killAt, at: simulator, orExitOf: process) {
                kill(process.processIdentifier, SIGKILL)
            }
            let killed = await FleetBinary.collect(process, out, err)
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(killed.status == SIGKILL)

            // Then status shows it interrupted with every project accounted for
            let status = try await setup.status()
            let run = try #require(status["run"] as? [String: Any])
            let counts = try #require(status["counts"] as? [String: Int])
            #expect(run["state"] as? String == "interrupted")
            #expect(counts["total"] == 80)
            #expect(counts["running"] == 0)
            #expect(
                counts["succeeded", default: 0] + counts["unchanged", default: 0] + counts["failed", default: 0]
                    + counts["pending", default: 0] == 80)
            #expect(try await setup.integrity() == "ok")

            // When it is retried, it finishes: exit 0, every profile right, the database sound
            let retry = try await setup.fleet(["retry", "--yes", "--quiet"])
            #expect(retry.status == 0, "\(retry.output)")
            for project in projects {
                #expect(simulator.profile(space: project.space, projectID: project.projectID) == project.secureProfile)
            }
            #expect(try await setup.integrity() == "ok")
            let after = try await setup.status()
            #expect(
                (after["counts"] as? [String: Int])?["succeeded"] == 80,
                "a task whose PUT landed before the kill still ends succeeded")

            // And every "before" is the original profile, even where the kill hid whether a PUT landed
            let befores = try await fixture.database.writer.read { db in
                try String.fetchAll(db, sql: "SELECT profile FROM snapshots WHERE kind = 'before'")
            }
            #expect(befores.count == 80)
            let originals = Set(
                projects.map {
                    SignalWireSimulator.initialProfile(space: $0.space, projectID: $0.projectID).jsonString()
                })
            #expect(befores.allSatisfy { originals.contains($0) })
        }
    }

    /// The soak of bench/soak.sh, short: mixed faults, kill -9 after kill -9, each followed by a
    /// retry, then every task final once, nothing written again after fleet recorded its write,
    /// every profile right and the database sound.
    @Test func aShortSoakOfKillsAndRetriesUnderMixedFaultsEndsRight() async throws {
        let projects = TestProject.make(120)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        (
            faults.latency, faults.failRate, faults.dropRate, faults.failFirst, faults.slowRate, faults.slowDelay,
            faults.seed
        ) =
            (.milliseconds(3), 0.1, 0.05, 1, 0.03, .seconds(2), 21)
        try await withSimulator(projects, faults) { simulator, apiBase in
            let setup = try Self.setup(fixture, apiBase)
            let options = [
                "--concurrency", "16", "--rate", "10000", "--max-attempts", "12", "--timeout", "0.5", "--quiet",
            ]
            var random = SeededRandom(seed: 5)
            var command = ["rollout", "--yes", setup.template]
            for _ in 0..<3 {
                let (process, out, err) = try setup.start(command + options)
                await FleetBinary.wait(
                    for: simulator.statistics.total + Int.random(in: 20...90, using: &random), at: simulator,
                    orExitOf: process
                ) {
                    kill(process.processIdentifier, SIGKILL)
                }
                _ = await FleetBinary.collect(process, out, err)
                command = ["retry", "--yes"]
            }
            let last = try await setup.fleet(["retry", "--yes"] + options)

            #expect(last.status == 0, "\(last.output)")
            #expect(try fixture.database.taskStates(run: 1) == ["succeeded": 120])
            #expect(try fixture.database.scalar("SELECT count(*) FROM executions WHERE run_id = 1") == 4)
            #expect(
                try fixture.database.scalar(
                    """
                    SELECT count(*) FROM (SELECT task_id FROM attempts WHERE method = 'PUT' AND http_status IN (200, 201) GROUP BY task_id HAVING count(*) > 1)
                    """) == 0)
            #expect(
                projects.allSatisfy { simulator.profile(space: $0.space, projectID: $0.projectID) == $0.secureProfile })
            #expect(try await setup.integrity() == "ok")
        }
    }

    @Test func ctrlCOnceLetsRequestsInFlightFinishAndRetryCompletes() async throws {
        let projects = TestProject.make(60)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.latency = .milliseconds(20)
        try await withSimulator(projects, faults) { simulator, apiBase in
            let setup = try Self.setup(fixture, apiBase)
            let (process, out, err) = try setup.start([
                "rollout", "--yes", setup.template, "--concurrency", "4", "--quiet",
            ])
            // When Ctrl-C is pressed once, after 20 requests
            let pressed = Mutex(ContinuousClock.now)
            await FleetBinary.wait(for: 20, at: simulator, orExitOf: process) {
                pressed.withLock { $0 = ContinuousClock.now }
                kill(process.processIdentifier, SIGINT)
            }
            let result = await FleetBinary.collect(process, out, err)
            let took = ContinuousClock.now - pressed.withLock { $0 }

            // Then fleet exits 1 soon, the run is interrupted, and it says how to go on
            #expect(result.status == 1)
            #expect(took < .seconds(10), "exit took \(took)")
            #expect(result.stderr.contains("fleet: run 1 was interrupted;"))
            #expect(result.stderr.contains("Finish it with `fleet retry 1 --db \(setup.db)`."))
            let status = try await setup.status()
            #expect((status["run"] as? [String: Any])?["state"] as? String == "interrupted")
            let counts = try #require(status["counts"] as? [String: Int])
            #expect(counts["pending", default: 0] > 0)
            #expect(counts["running"] == 0)
            #expect(counts["failed"] == 0, "requests in flight were let finish, not cut off")

            let retry = try await setup.fleet(["retry", "--yes", "1", "--quiet"])
            #expect(retry.status == 0, "\(retry.output)")
            #expect(
                projects.allSatisfy { simulator.profile(space: $0.space, projectID: $0.projectID) == $0.secureProfile })
            #expect(projects.allSatisfy { simulator.requests(project: $0.projectID, method: "PUT") == 1 })
        }
    }

    @Test func ctrlCTwiceCancelsRequestsInFlight() async throws {
        let projects = TestProject.make(10)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects, TestProject.hanging) { simulator, apiBase in
            let setup = try Self.setup(fixture, apiBase)
            let (process, out, err) = try setup.start([
                "rollout", "--yes", setup.template, "--concurrency", "4", "--quiet",
            ])
            await FleetBinary.wait(for: 4, at: simulator, orExitOf: process) { kill(process.processIdentifier, SIGINT) }

            let said = await FleetBinary.read(err, until: "Press Ctrl-C again") {
                kill(process.processIdentifier, SIGINT)
            }
            #expect(said.contains("fleet: stopping: no new tasks start; requests in flight finish."))
            let result = await FleetBinary.collect(process, out, err)

            #expect(result.status == 1)
            let status = try await setup.status()
            #expect((status["run"] as? [String: Any])?["state"] as? String == "interrupted")
            #expect((status["counts"] as? [String: Int])?["pending"] == 10)
        }
    }

    @Test func aRunBeingExecutedCannotBeExecutedByASecondProcess() async throws {
        let projects = TestProject.make(6)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects, TestProject.hanging) { simulator, apiBase in
            let setup = try Self.setup(fixture, apiBase)
            let (process, out, err) = try setup.start([
                "rollout", "--yes", setup.template, "--concurrency", "2", "--quiet",
            ])
            await FleetBinary.wait(for: 2, at: simulator, orExitOf: process)

            let second = try await setup.fleet(["retry", "--yes", "1"])
            let running = try await setup.status()

            #expect(second.status == 1)
            #expect(
                second.stderr
                    == "fleet: run 1 is being executed by another fleet process; wait for it to finish, or stop it with Ctrl-C, then try again.\n"
            )
            #expect((running["run"] as? [String: Any])?["state"] as? String == "running")
            kill(process.processIdentifier, SIGKILL)
            _ = await FleetBinary.collect(process, out, err)
            #expect((try await setup.status()["run"] as? [String: Any])?["state"] as? String == "interrupted")
        }
    }

    @Test func revokedTokensFailOnceAndARetryAfterImportingFixedTokensTouchesOnlyThem() async throws {
        // Given two projects whose tokens were rotated in SignalWire but not in the inventory
        let projects = TestProject.make(10)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects) { simulator, apiBase in
            let setup = try Self.setup(fixture, apiBase)
            let rotated = [projects[3], projects[7]].map { project -> TestProject in
                var fixed = project
                fixed.token = "PTfixed" + project.token.dropFirst(7)
                simulator.setToken(fixed.token, space: project.space, projectID: project.projectID)
                return fixed
            }

            // When the rollout runs
            let rollout = try await setup.fleet(["rollout", "--yes", setup.template, "--quiet"])

            // Then they fail as unauthorized after one attempt, grouped, with the rerun command
            #expect(rollout.status == 1)
            let status = try await setup.status()
            let failed = (status["projects"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "failed" }
            #expect(Set(failed.compactMap { $0["project_id"] as? String }) == Set(rotated.map(\.projectID)))
            #expect(
                failed.allSatisfy {
                    $0["error_kind"] as? String == "unauthorized" && $0["attempts"] as? Int == 1
                        && $0["http_status"] as? Int == 401
                })
            let text = try await setup.fleet(["status"])
            #expect(text.status == 1)
            #expect(
                text.stdout.contains(
                    """
                    failures:
                      unauthorized: HTTP 401: the project's token was refused; check it and its Voice scope (2 projects: space3 2)
                    """))
            for project in rotated {
                #expect(text.stdout.contains("    \(project.space) \(project.projectID) \(project.label)"))
            }
            #expect(text.stdout.hasSuffix("rerun what did not succeed: fleet retry 1 --db \(setup.db)\n"))
            for project in projects + rotated { #expect(!(rollout.output + text.output).contains(project.token)) }

            // When the fixed tokens are imported and the run retried
            let csv = try fixture.directory.write(
                "fixed.csv",
                "space,project_id,token\n"
                    + rotated.map { "\($0.space),\($0.projectID),\($0.token)" }.joined(separator: "\n") + "\n")
            #expect(try await setup.fleet(["import", csv]).status == 0)
            let others = projects.filter { project in !rotated.contains { $0.projectID == project.projectID } }
            let before = others.map {
                simulator.requests(project: $0.projectID, method: "GET")
                    + simulator.requests(project: $0.projectID, method: "PUT")
            }
            let retry = try await setup.fleet(["retry", "--yes", "--quiet"])

            // Then they succeed and no other project is touched
            #expect(retry.status == 0, "\(retry.output)")
            #expect(
                rotated.allSatisfy { simulator.profile(space: $0.space, projectID: $0.projectID) == $0.secureProfile })
            #expect(
                others.map {
                    simulator.requests(project: $0.projectID, method: "GET")
                        + simulator.requests(project: $0.projectID, method: "PUT")
                } == before)
            #expect((try await setup.status()["counts"] as? [String: Int])?["succeeded"] == 10)
        }
    }

    @Test func rollbackRestoresEveryProfileAsItWasBeforeTheRun() async throws {
        let projects = TestProject.make(12)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects, SimulatorConfiguration()) { simulator, apiBase in
            // Given varied profiles, one of them already as the template wants it
            var custom = SignalWireSimulator.initialProfile(space: projects[1].space, projectID: projects[1].projectID)
            custom.defaultCodecs = ["PCMA"]
            custom.defaultSendAs = "+442071234567"
            simulator.setProfile(custom, space: projects[1].space, projectID: projects[1].projectID)
            simulator.setProfile(projects[2].secureProfile, space: projects[2].space, projectID: projects[2].projectID)
            let originals = projects.map { simulator.profile(space: $0.space, projectID: $0.projectID) }
            let setup = try Self.setup(fixture, apiBase)
            #expect(try await setup.fleet(["rollout", "--yes", setup.template, "--quiet"]).status == 0)
            let putsBefore = simulator.requests(project: projects[2].projectID, method: "PUT")

            // When run 1 is rolled back
            let rollback = try await setup.fleet(["rollback", "--yes", "1", "--quiet"])

            // Then every profile is exactly what it was, in a run of its own; the unchanged project was left alone
            #expect(rollback.status == 0, "\(rollback.output)")
            #expect(projects.map { simulator.profile(space: $0.space, projectID: $0.projectID) } == originals)
            #expect(simulator.requests(project: projects[2].projectID, method: "PUT") == putsBefore)
            let status = try await setup.status()
            #expect((status["run"] as? [String: Any])?["kind"] as? String == "rollback")
            #expect((status["counts"] as? [String: Int])?["succeeded"] == 11)
            #expect((status["counts"] as? [String: Int])?["total"] == 11)
        }
    }

    @Test func statusJSONHasExactlyTheSchemaOfTheSpec() async throws {
        let projects = TestProject.make(4)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[0].projectID]
        try await withSimulator(projects, faults) { _, apiBase in
            let setup = try Self.setup(fixture, apiBase)
            _ = try await setup.fleet(["rollout", "--yes", setup.template, "--quiet"])

            let status = try await setup.status()

            #expect(Set(status.keys) == ["run", "counts", "projects", "spaces", "waves"])
            let run = try #require(status["run"] as? [String: Any])
            #expect(
                Set(run.keys) == [
                    "id", "kind", "template_name", "template_sha256", "state", "started_at", "finished_at", "api_base",
                    "options", "executions", "duration_s", "halt_reason", "rollback_of", "rolled_back_by", "counts",
                    "change", "reason", "operators",
                ])
            #expect(run["api_base"] as? String == setup.apiBase)
            #expect(run["executions"] as? Int == 1)
            #expect((run["options"] as? [String: Any])?["concurrency"] as? Int == 16)
            #expect(run["id"] as? Int == 1)
            #expect(run["kind"] as? String == "rollout")
            #expect((run["template_sha256"] as? String)?.count == 64)
            #expect(run["state"] as? String == "finished")
            #expect(FleetDatabase.date(from: run["started_at"] as? String ?? "") != nil)
            #expect(FleetDatabase.date(from: run["finished_at"] as? String ?? "") != nil)
            let counts = try #require(status["counts"] as? [String: Int])
            #expect(counts == ["total": 4, "succeeded": 3, "unchanged": 0, "failed": 1, "pending": 0, "running": 0])
            let entries = try #require(status["projects"] as? [[String: Any]])
            #expect(entries.count == 4)
            for entry in entries {
                #expect(
                    Set(entry.keys) == [
                        "space", "project_id", "label", "status", "wave", "attempts", "http_status", "error_kind",
                        "error",
                    ])
                #expect(
                    ["succeeded", "unchanged", "failed", "pending", "running"].contains(
                        entry["status"] as? String ?? ""))
                #expect(entry["attempts"] is Int)
            }
            let failed = try #require(entries.first { $0["status"] as? String == "failed" })
            #expect(failed["project_id"] as? String == projects[0].projectID)
            #expect(
                failed["error"] as? String == "HTTP 401: the project's token was refused; check it and its Voice scope")
            let succeeded = try #require(entries.first { $0["status"] as? String == "succeeded" })
            #expect(succeeded["error_kind"] is NSNull)
            #expect(succeeded["http_status"] as? Int == 201)

            let runs = try await setup.fleet(["runs", "--json"])
            let list = try #require(try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])
            #expect(list.count == 1)
            #expect(list.first?["state"] as? String == "finished")
        }
    }
}
