import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import GRDB
import Testing

@testable import fleet

/// Undo never destroys later work, and the record stays true: rollback against later edits and
/// runs, retry after a rollback, verify's coverage, writes confirmed by a read, saved plans,
/// damaged rows, empty executions, the run lock under another name.
@Suite struct UndoTests {
    typealias Setup = Workspace

    @Test(.workspace(TestProject.make(20)))
    func rollbackLeavesAProfileEditedSinceTheRunAsAConflictNamingTheFieldsAndPutsBackTheRest() async throws {
        let setup = Workspace.current
        let projects = setup.projects
        #expect(await setup.fleet.run(["rollout", setup.template] + setup.apply).status == 0)
        let edited = projects[7]
        setup.edit(edited)
        let editedProfile = setup.profile(edited)

        // The dry run reads only, and says the same as the rollback will
        let puts = setup.simulator.statistics.requests.values.reduce(0) { $0 + ($1["PUT"] ?? 0) }
        let preview = await setup.fleet.run([
            "rollback", "1", "--dry-run", "--db", setup.db, "--api-base", Fixture.apiBase, "--quiet",
        ])
        #expect(preview.status == 1)
        #expect(
            preview.stdout.hasPrefix(
                "rollback of run 1, dry run (nothing was written): 19 would be put back, 0 already as before, 1 conflict, 0 could not be read"
            ))
        #expect(
            preview.stdout.contains(
                "  \(edited.space) \(edited.projectID) \(edited.label): changed since run 1: domain_identifier: written p\(edited.projectID.prefix(8)), now someone-else; default_codecs: written [OPUS, G722, PCMU], now [PCMU]"
            ))
        #expect(setup.simulator.statistics.requests.values.reduce(0) { $0 + ($1["PUT"] ?? 0) } == puts)
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM runs") == 1)

        let rollback = await setup.fleet.run(["rollback", "1"] + setup.apply)

        #expect(rollback.status == 1)
        #expect(setup.profile(edited) == editedProfile, "the edit made after the run is still there")
        for project in projects where project != edited {
            #expect(
                setup.profile(project).hasSameSettings(
                    as: SignalWireSimulator.initialProfile(space: project.space, projectID: project.projectID)))
        }
        #expect(try setup.fixture.database.taskStates(run: 2) == ["succeeded": 19, "failed": 1])
        #expect(
            try setup.fixture.database.scalar("SELECT error FROM tasks WHERE run_id = 2 AND state = 'failed'")
                == "changed since run 1: domain_identifier: written p\(edited.projectID.prefix(8)), now someone-else; default_codecs: written [OPUS, G722, PCMU], now [PCMU]"
        )
        #expect(setup.simulator.requests(project: edited.projectID, method: "PUT") == 1, "only the rollout's write")

        // --force puts the before back over the edit
        let forced = await setup.fleet.run(["rollback", "1", "--force"] + setup.apply)
        #expect(forced.status == 0, "\(forced.output)")
        #expect(
            setup.profile(edited).hasSameSettings(
                as: SignalWireSimulator.initialProfile(space: edited.space, projectID: edited.projectID)))
    }

    @Test(.workspace(TestProject.make(6)))
    func rollbackOfAProjectALaterRunWroteIsAConflictNamingThatRunWithoutARequest() async throws {
        let setup = Workspace.current
        let projects = setup.projects
        #expect(await setup.fleet.run(["rollout", setup.template] + setup.apply).status == 0)
        let later = try setup.fixture.directory.write("later.json", #"{"default_encryption": "optional"}"#)
        #expect(
            await setup.fleet.run(["rollout", later, "--project", projects[2].projectID] + setup.apply).status == 0)
        let requests = setup.simulator.statistics.total

        let rollback = await setup.fleet.run(["rollback", "1"] + setup.apply)

        #expect(rollback.status == 1)
        #expect(try setup.fixture.database.taskStates(run: 3) == ["succeeded": 5, "failed": 1])
        #expect(
            try setup.fixture.database.scalar("SELECT error FROM tasks WHERE run_id = 3 AND state = 'failed'")
                == "written by run 2 since")
        #expect(
            setup.simulator.statistics.total == requests + 10,
            "a GET and a PUT for each of the 5 others, nothing for the conflict")
        #expect(setup.profile(projects[2]).defaultEncryption == "optional")
        #expect(setup.profile(projects[2]).defaultCodecs == ["OPUS", "G722", "PCMU"])
        // A retry of the rollback leaves it a conflict, and says there is nothing else to do
        let retry = await setup.fleet.run(["retry", "3"] + setup.apply)
        #expect(
            retry.stdout
                == "run 3 has nothing to retry: 5 succeeded, 0 unchanged, 1 left alone (disabled since the run, or written by a later run); nothing was sent or recorded.\n"
        )
        #expect(setup.simulator.statistics.total == requests + 10)
    }

    @Test(.workspace(TestProject.make(8))) func aRolledBackRunSaysSoEverywhereAndItsRetryIsRefused() async throws {
        let setup = Workspace.current
        let projects = setup.projects
        setup.simulator.setRevoked([projects[1].projectID])
        #expect(await setup.fleet.run(["rollout", setup.template] + setup.apply).status == 1)
        #expect(await setup.fleet.run(["rollback", "1"] + setup.apply).status == 0)
        setup.simulator.setRevoked([])
        let requests = setup.simulator.statistics.total

        let status = await setup.fleet.run(["status", "1", "--db", setup.db])
        let json = await setup.fleet.run(["status", "1", "--json", "--db", setup.db])
        let runs = await setup.fleet.run(["runs", "--db", setup.db])
        let runsJSON = await setup.fleet.run(["runs", "--json", "--db", setup.db])
        let retry = await setup.fleet.run(["retry", "1"] + setup.apply)

        #expect(status.stdout.contains("\nrolled back by run 2\n"))
        #expect(!status.stdout.contains("fleet retry"), "no report suggests retrying a rolled-back run")
        let run = try #require(
            (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["run"] as? [String: Any]
        )
        #expect(run["rolled_back_by"] as? Int == 2)
        #expect(runs.stdout.contains("finished, rolled back by 2"))
        let entries = try #require(
            try JSONSerialization.jsonObject(with: Data(runsJSON.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["rolled_back_by"] as? Int } == [nil, 2])
        #expect(retry.status == 64)
        #expect(
            retry.stderr.contains(
                "run 1 was rolled back by run 2; a retry would write it again over the rollback. Start a new rollout instead"
            ))
        #expect(setup.simulator.statistics.total == requests)
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM executions WHERE run_id = 1") == 1)
    }

    @Test(.workspace(TestProject.make(10))) func aHaltRolledBackOnHaltPointsAtTheRollbackNotAtARetry() async throws {
        let setup = Workspace.current
        let projects = setup.projects
        setup.simulator.setRevoked([projects[0].projectID])

        let result = await setup.fleet.run(
            ["rollout", setup.template, "--canary", "2", "--rollback-on-halt"] + setup.apply)

        #expect(result.status == 1)
        #expect(try setup.fixture.database.requireRun(2).rollbackOf == 1)
        #expect(!result.output.contains("retry 1"), "\(result.output)")
        #expect(result.stderr.contains("fleet: run 1 halted by "))
        #expect(result.stderr.contains("run 2 rolled back the projects it changed"))
    }

    @Test func aWriteWhoseAnswerIsLostIsConfirmedByAReadNotSentAgain() async throws {
        // Every applied PUT's connection is reset before its answer
        var configuration = SimulatorConfiguration()
        configuration.dropWriteRate = 1
        let projects = TestProject.make(12)
        let setup = try Workspace(projects, simulator: configuration)

        let result = await setup.fleet.run(["rollout", setup.template] + setup.apply)

        #expect(result.status == 0, "\(result.output)")
        #expect(try setup.fixture.database.taskStates(run: 1) == ["succeeded": 12])
        for project in projects {
            #expect(setup.simulator.requests(project: project.projectID, method: "PUT") == 1)
            #expect(setup.simulator.requests(project: project.projectID, method: "GET") == 2)
        }
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM snapshots WHERE kind = 'after'") == 12)
        #expect(
            try setup.fixture.database.column("SELECT method FROM attempts WHERE task_id = 1 ORDER BY number") == [
                "GET", "PUT", "GET",
            ])
        let verify = await setup.fleet.run(["verify", "1", "--db", setup.db, "--quiet"])
        #expect(verify.stdout.hasSuffix("verify run 1: 12 projects it wrote, 0 drifted, 0 could not be read\n"))
    }

    @Test(.workspace(TestProject.make(9))) func verifyCoversAWriteTheRunNeverConfirmed() async throws {
        // Given a run whose writes of 3 projects landed but were never recorded as done (a kill,
        // a full disk): their tasks have a "before" and stay pending
        let setup = Workspace.current
        let projects = setup.projects
        #expect(await setup.fleet.run(["rollout", setup.template] + setup.apply).status == 0)
        try await setup.fixture.database.writer.write { db in
            try db.execute(sql: "UPDATE tasks SET state = 'pending' WHERE position < 3")
            try db.execute(
                sql:
                    "DELETE FROM snapshots WHERE kind = 'after' AND task_id IN (SELECT id FROM tasks WHERE position < 3)"
            )
        }
        // One of them was edited by hand since, and one was in fact never written
        let firstThree: [String] = try setup.fixture.database.column(
            """
            SELECT p.project_id FROM tasks t JOIN projects p ON p.id = t.project_ref WHERE t.position < 3 ORDER BY t.position
            """)
        let handEdited = projects.first { $0.projectID == firstThree[0] }!
        let neverWritten = projects.first { $0.projectID == firstThree[1] }!
        setup.edit(handEdited)
        setup.simulator.setProfile(
            SignalWireSimulator.initialProfile(space: neverWritten.space, projectID: neverWritten.projectID),
            space: neverWritten.space, projectID: neverWritten.projectID)

        let verify = await setup.fleet.run(["verify", "1", "--db", setup.db, "--quiet"])

        #expect(verify.status == 1)
        #expect(
            verify.stdout.contains(
                "\(handEdited.space) \(handEdited.projectID) \(handEdited.label)\n    domain_identifier: written p"))
        #expect(
            verify.stdout.hasSuffix(
                "verify run 1: 8 projects it wrote, 1 drifted, 0 could not be read; 1 it had not written yet (`fleet retry 1 --db \(setup.db)` finishes them)\n"
            ))
    }

    @Test func aRetryAfterLostAnswersLeavesEverySucceededTaskWithItsAfter() async throws {
        // A fifth of the requests reset (a PUT is applied first); one attempt each, then a retry
        var configuration = SimulatorConfiguration()
        (configuration.dropRate, configuration.seed) = (0.3, 2)
        let projects = TestProject.make(40)
        let setup = try Workspace(projects, simulator: configuration)
        _ = await setup.fleet.run(["rollout", setup.template, "--max-attempts", "1"] + setup.apply)
        _ = await setup.fleet.run(["retry", "1", "--max-attempts", "20"] + setup.apply)

        #expect(try setup.fixture.database.taskStates(run: 1) == ["succeeded": 40])
        #expect(
            try setup.fixture.database.scalar(
                """
                SELECT count(*) FROM tasks t WHERE t.state = 'succeeded' AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.task_id = t.id AND s.kind = 'after')
                """) == 0)
        let verify = await setup.fleet.run(["verify", "1", "--db", setup.db, "--quiet"])
        #expect(verify.stdout.contains("verify run 1: 40 projects it wrote, 0 drifted"), "\(verify.output)")
    }

    @Test(.workspace(TestProject.make(6))) func aSavedPlanAppliedTwiceIsUnchangedTheSecondTime() async throws {
        let setup = Workspace.current
        let plan = setup.fixture.directory.file("plan.json")
        _ = await setup.fleet.run([
            "plan", setup.template, "--out", plan, "--db", setup.db, "--api-base", Fixture.apiBase, "--quiet",
        ])
        #expect(await setup.fleet.run(["rollout", "--plan", plan, "--db", setup.db, "--quiet", "--yes"]).status == 0)

        let again = await setup.fleet.run(["rollout", "--plan", plan, "--db", setup.db, "--quiet", "--yes"])

        #expect(again.status == 0, "\(again.output)")
        #expect(try setup.fixture.database.taskStates(run: 2) == ["unchanged": 6])
    }

    @Test(.workspace(TestProject.make(4))) func aPlanMadeOnAnotherDatabaseOrNamingAProjectTwiceIsRefused() async throws
    {
        let setup = Workspace.current
        let plan = setup.fixture.directory.file("plan.json")
        _ = await setup.fleet.run([
            "plan", setup.template, "--out", plan, "--db", setup.db, "--api-base", Fixture.apiBase, "--quiet",
        ])
        let other = try Fixture(projects: TestProject.make(4))

        let elsewhere = await setup.fleet.run([
            "rollout", "--plan", plan, "--db", other.database.path, "--quiet", "--yes",
        ])

        #expect(elsewhere.status == 65)
        #expect(elsewhere.stderr.contains("the plan was made on another database than \(other.database.path)"))
        #expect(try other.database.scalar("SELECT count(*) FROM runs") == 0)

        var body = try JSONDecoder().decode(PlanFile.Body.self, from: Data(contentsOf: URL(fileURLWithPath: plan)))
        body.projects.append(body.projects[0])
        let twice = try setup.fixture.directory.write("twice.json", try PlanFile(body: body).text)
        let duplicate = await setup.fleet.run(["rollout", "--plan", twice, "--db", setup.db, "--quiet", "--yes"])

        #expect(duplicate.status == 65)
        #expect(
            duplicate.stderr.contains(
                "the plan names project \(body.projects[0].project_id) (space \(body.projects[0].space)) twice"))
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM runs") == 0)
    }

    @Test(.workspace(TestProject.make(4))) func aDamagedStoredBodyOrBeforeIsAnErrorNamingTheRunAndProjectNeverADefault()
        async throws
    {
        let setup = Workspace.current
        let projects = setup.projects
        let plan = setup.fixture.directory.file("plan.json")
        _ = await setup.fleet.run([
            "plan", setup.template, "--out", plan, "--db", setup.db, "--api-base", Fixture.apiBase, "--quiet",
        ])
        setup.simulator.setRevoked(Set(projects.map(\.projectID)))
        _ = await setup.fleet.run(["rollout", "--plan", plan, "--db", setup.db, "--quiet", "--yes"])
        setup.simulator.setRevoked([])
        let damaged: String = try #require(
            try setup.fixture.database.scalar(
                "SELECT p.project_id FROM tasks t JOIN projects p ON p.id = t.project_ref WHERE t.position = 0"))
        try await setup.fixture.database.writer.write { db in
            try db.execute(sql: #"UPDATE tasks SET desired = '{"default_codecs": 7}' WHERE position = 0"#)
        }
        let requests = setup.simulator.statistics.total

        let retry = await setup.fleet.run(["retry", "1"] + setup.apply)

        #expect(retry.status == 74)
        #expect(
            retry.stderr.contains(
                "the body to write stored for project \(damaged) in run 1 cannot be read back (the database is damaged); fleet sent nothing."
            ))
        #expect(setup.simulator.statistics.total == requests)

        // A damaged "before" stops a rollback before any request
        #expect(await setup.fleet.run(["rollout", setup.template] + setup.apply).status == 0)
        try await setup.fixture.database.writer.write { db in
            try db.execute(
                sql:
                    #"UPDATE snapshots SET profile = '{"default_codecs": "PCMU"}' WHERE kind = 'before' AND task_id IN (SELECT id FROM tasks WHERE run_id = 2 AND position = 0)"#
            )
        }
        let rollback = await setup.fleet.run(["rollback", "2"] + setup.apply)
        #expect(rollback.status == 74)
        #expect(
            rollback.stderr.contains(
                "the \"before\" profile stored for project \(damaged) in run 2 cannot be read back"))
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM runs") == 2)
    }

    @Test func aJSONValueThatCannotBeWrittenIsAnErrorNotNull() {
        #expect(throws: FleetError.self) { try ReportJSON.encode(["rate": Double.infinity]) }
    }

    @Test(.workspace(TestProject.make(4))) func retryingAFinishedRunSaysSoAndRecordsNoExecution() async throws {
        let setup = Workspace.current
        #expect(await setup.fleet.run(["rollout", setup.template] + setup.apply).status == 0)

        let retry = await setup.fleet.run(["retry", "1"] + setup.apply)

        #expect(retry.status == 0)
        #expect(retry.stdout == "run 1 has nothing to retry: 4 succeeded, 0 unchanged; nothing was sent or recorded.\n")
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM executions") == 1)
    }

    @Test func aSymlinkToTheDatabaseReachesTheSameRunLockAndPermissions() async throws {
        // Given a run being executed through the database's own name (its answers never come)
        let projects = TestProject.make(2)
        let fixture = try Fixture(projects: projects)
        let link = fixture.directory.file("link.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fixture.database.path)
        let simulator = try fixture.simulator(TestProject.hanging)
        let template = try fixture.directory.write("profile.json", secureTemplate)
        let stop = StopSignal()
        var fleet = InProcessFleet(simulator: simulator)
        fleet.stop = stop
        async let running = fleet.run([
            "rollout", template, "--db", fixture.database.path, "--api-base", Fixture.apiBase, "--quiet", "--yes",
        ])
        await simulator.waitForRequests(2)

        // Then through the link it reads as running, a retry is refused, and no warning is given
        let status = await InProcessFleet(simulator: simulator).run(["status", "1", "--db", link])
        let retry = await InProcessFleet(simulator: simulator).run([
            "retry", "1", "--db", link, "--api-base", Fixture.apiBase, "--yes",
        ])
        stop.cancelInFlight()
        _ = await running

        #expect(status.stdout.contains(", running"), "\(status.output)")
        #expect(!status.stderr.contains("can be read by other users"))
        #expect(retry.status == 1)
        #expect(retry.stderr.contains("run 1 is being executed by another fleet process"))
        #expect(simulator.statistics.total == 2)
        #expect(
            try FleetDatabase(path: link, access: .read).filePath
                == FleetDatabase(path: fixture.database.path, access: .read).filePath)
    }
}
