import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// Before and after: readable plans, saved plans, drift, a project's history, CSV export.
@Suite struct ReviewTests {
    @Test func aPlanOf3000ProjectsIsASummaryOfAtMost40Lines() async throws {
        // Given 3,000 projects in 30 spaces, a template with a value per project, and some already right
        let projects = TestProject.make(3000, spaces: 30)
        let setup = try Workspace(
            projects, csv: TestProject.csv(projects) { ",+1555\(String(format: "%07d", Int($0.label.dropFirst(8))!))" })
        for project in projects.prefix(50) {
            setup.simulator.setProfile(project.secureProfile, space: project.space, projectID: project.projectID)
        }

        let result = await setup.fleet.run(
            ["plan", setup.template] + setup.api + ["--concurrency", "64", "--rate", "100000"])

        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 40, "\(lines.count) lines")
        #expect(
            result.stdout.contains(
                "  default_encryption: optional → required: 2950 projects (space20 99, space21 99, space22 99, space23 99, space24 99, …)"
            ))
        #expect(result.stdout.contains("  default_send_as: 3000 different changes, e.g. "))
        #expect(
            result.stdout.contains(
                "\nplan for \(setup.template): 3000 projects selected, 3000 would change, 0 unchanged, 0 could not be read\n"
                    + "in line with the template: 0 of 3000 projects (space0 0 of 100, space1 0 of 100, "))
    }

    @Test(.workspace(TestProject.make(2))) func planJSONCarriesTheValuesAsJSON() async throws {
        let setup = Workspace.current

        let result = await setup.fleet.run(["plan", setup.template, "--json"] + setup.api)

        let body = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let change = try #require(
            ((body["projects"] as? [[String: Any]])?.first?["changes"] as? [[String: Any]])?.first)
        #expect(change["field"] as? String == "default_codecs")
        #expect(change["old"] as? [String] == ["PCMU", "PCMA"])
        #expect(change["new"] as? [String] == ["OPUS", "G722", "PCMU"])
        #expect(body["api_base"] as? String == Fixture.apiBase)
    }

    @Test(.workspace(TestProject.make(12))) func aSavedPlanWritesExactlyItsBodiesAndLeavesWhatChangedSinceAsConflict()
        async throws
    {
        // Given a saved plan of 12 projects
        let setup = Workspace.current
        let projects = setup.projects
        let planPath = setup.fixture.directory.file("plan.json")
        let plan = await setup.fleet.run(["plan", setup.template, "--out", planPath] + setup.api)
        #expect(plan.stdout.contains("saved to \(planPath) (sha256 "))
        #expect(
            plan.stdout.contains(
                "apply exactly this plan within 24 hours with `fleet rollout --plan \(planPath) --db \(setup.db)`"))

        // When 3 of its projects are edited before it is applied
        let edited = [projects[1], projects[5], projects[9]]
        for project in edited {
            var profile = setup.simulator.profile(space: project.space, projectID: project.projectID)
            profile.defaultCodecs = ["PCMA"]
            setup.simulator.setProfile(profile, space: project.space, projectID: project.projectID)
        }
        let result = await setup.fleet.run(["rollout", "--yes", "--plan", planPath, "--db", setup.db, "--quiet"])

        // Then the other 9 got exactly the planned body, and those 3 were not written
        #expect(result.status == 1)
        #expect(try setup.fixture.database.taskStates(run: 1) == ["succeeded": 9, "failed": 3])
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM tasks WHERE error_kind = 'conflict'") == 3)
        for project in projects where !edited.contains(project) {
            #expect(
                setup.simulator.profile(space: project.space, projectID: project.projectID) == project.secureProfile)
        }
        for project in edited {
            #expect(setup.simulator.requests(project: project.projectID, method: "PUT") == 0)
        }
        #expect(
            result.stdout.contains(
                "conflict: changed since the plan: default_codecs: [PCMU, PCMA] → [PCMA] (3 projects: space1 3)"))
        #expect(try setup.fixture.database.requireRun(1).planSHA256?.count == 64)

        // And the way on it prints plans exactly those 3 anew, and that plan applies
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("changed since the plan") })
        let replan = line[line.range(of: ": fleet ")!.upperBound...].replacingOccurrences(
            of: "replan.json", with: setup.fixture.directory.file("replan.json"))
        let words = replan.split(separator: " ").map {
            String($0).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        let planned = await setup.fleet.run(words)
        #expect(planned.stdout.contains("3 projects selected, 3 would change"), "\(planned.output)")
        let applied = await setup.fleet.run([
            "rollout", "--yes", "--plan", setup.fixture.directory.file("replan.json"), "--db", setup.db, "--quiet",
        ])
        #expect(applied.status == 0)
        for project in projects {
            #expect(
                setup.simulator.profile(space: project.space, projectID: project.projectID) == project.secureProfile)
        }
    }

    @Test(.workspace(TestProject.make(3))) func anEditedAnOldOrAnotherAPIsPlanIsRefused() async throws {
        let setup = Workspace.current
        let planPath = setup.fixture.directory.file("plan.json")
        _ = await setup.fleet.run(["plan", setup.template, "--out", planPath] + setup.api)
        let text = try String(contentsOfFile: planPath, encoding: .utf8)

        // Edited: a planned value changed by hand
        let edited = try setup.fixture.directory.write(
            "edited.json", text.replacingOccurrences(of: "\"required\"", with: "\"optional\""))
        let refusedEdit = await setup.fleet.run(["rollout", "--yes", "--plan", edited, "--db", setup.db])
        #expect(refusedEdit.status == 65)
        #expect(refusedEdit.stderr.contains("\(edited) was changed after fleet wrote it (its SHA-256 does not match)"))

        // Another API base given
        var elsewhere = setup.fleet
        elsewhere.environment = ["FLEET_API_BASE": "https://{space}.signalwire.com/api/relay/rest"]
        let refusedBase = await elsewhere.run(["rollout", "--yes", "--plan", planPath, "--db", setup.db])
        #expect(refusedBase.status == 64)
        #expect(
            refusedBase.stderr.contains(
                "was made against \(Fixture.apiBase), but --api-base or FLEET_API_BASE says https://{space}.signalwire.com/api/relay/rest"
            ))

        // Over 24 hours old
        let stale = try setup.fixture.directory.write(
            "stale.json", try Self.redate(text, to: "2020-01-01T00:00:00.000Z"))
        let refusedAge = await setup.fleet.run(["rollout", "--yes", "--plan", stale, "--db", setup.db])
        #expect(refusedAge.status == 65)
        #expect(refusedAge.stderr.contains("was made at 2020-01-01T00:00:00.000Z, over 24 hours ago"))
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM runs") == 0)
    }

    /// The plan's text with another creation time and the SHA-256 that goes with it.
    static func redate(_ text: String, to time: String) throws -> String {
        var body = try JSONDecoder().decode(PlanFile.Body.self, from: Data(text.utf8))
        body.created_at = time
        return try PlanFile(body: body).text
    }

    @Test(.workspace(TestProject.make(16))) func verifyReportsExactlyTheProjectsEditedSinceTheRun() async throws {
        let setup = Workspace.current
        let projects = setup.projects
        #expect(await setup.fleet.run(["rollout", "--yes", setup.template] + setup.api).status == 0)
        let drifted = [projects[0], projects[3], projects[8], projects[15]]
        for project in drifted {
            var profile = setup.simulator.profile(space: project.space, projectID: project.projectID)
            profile.defaultEncryption = "optional"
            setup.simulator.setProfile(profile, space: project.space, projectID: project.projectID)
        }

        let result = await setup.fleet.run(["verify", "--db", setup.db, "--quiet"])
        let json = await setup.fleet.run(["verify", "1", "--json", "--db", setup.db])

        #expect(result.status == 1)
        #expect(result.stdout.hasSuffix("verify run 1: 16 projects it wrote, 4 drifted, 0 could not be read\n"))
        for project in drifted {
            #expect(
                result.stdout.contains(
                    "\(project.space) \(project.projectID) \(project.label)\n    default_encryption: written required, now optional"
                ))
        }
        let body = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(
            Set((body["projects"] as? [[String: Any]] ?? []).compactMap { $0["project_id"] as? String })
                == Set(drifted.map(\.projectID)))
        #expect(setup.simulator.statistics.total == 32 + 32)
    }

    @Test(.workspace(TestProject.make(4))) func historyShowsTheRolloutTheRetryAndTheRollback() async throws {
        let setup = Workspace.current
        let projects = setup.projects
        await setup.rolloutRetriedAndRolledBack(failing: projects[2])

        let text = await setup.fleet.run(["history", projects[2].projectID, "--db", setup.db])
        let json = await setup.fleet.run(["history", projects[2].label, "--json", "--db", setup.db])

        #expect(text.status == 0)
        #expect(
            text.stdout.contains(
                "run 1: rollout of \(setup.template), finished (rolled back by run 2); the project succeeded after 3 attempts"
            ))
        #expect(text.stdout.contains("  1 GET "))
        #expect(text.stdout.contains(" 401 "))
        #expect(text.stdout.contains("unauthorized: HTTP 401: the project's token was refused"))
        #expect(text.stdout.contains("run 2: rollback of run 1, finished; the project succeeded after 2 attempts"))
        #expect(text.stdout.contains("  before: domain_identifier p"))
        let body = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let runs = try #require(body["runs"] as? [[String: Any]])
        #expect(runs.map { ($0["run"] as? [String: Any])?["id"] as? Int } == [1, 2])
        #expect(runs.map { ($0["run"] as? [String: Any])?["rolled_back_by"] as? Int } == [2, nil])
        #expect((runs[0]["attempts"] as? [[String: Any]])?.map { $0["http_status"] as? Int } == [401, 200, 201])
        #expect((runs[0]["before"] as? [String: Any])?["default_encryption"] as? String == "optional")
        #expect((runs[0]["after"] as? [String: Any])?["default_encryption"] as? String == "required")
    }

    @Test func statusCSVParsesBackWithOneRowPerProjectAndDefusedFormulas() async throws {
        let projects = TestProject.make(5).enumerated().map { index, project in
            var project = project
            if index == 1 { project.label = "=HYPERLINK(\"http://evil\")" }
            if index == 2 { project.label = "Acme, \"HQ\"" }
            return project
        }
        let csv =
            "space,project_id,token,label,send_as\n"
            + projects.map {
                "\($0.space),\($0.projectID),\($0.token),\"\($0.label.replacingOccurrences(of: "\"", with: "\"\""))\",+15550001111"
            }.joined(separator: "\n") + "\n"
        let setup = try Workspace(projects, csv: csv)
        setup.simulator.setRevoked([projects[3].projectID])
        _ = await setup.fleet.run(["rollout", "--yes", setup.template] + setup.api)

        let result = await setup.fleet.run(["status", "--csv", "--db", setup.db])

        let rows = CSVReader.parse(Array(result.stdout.utf8))
        #expect(rows.errors.isEmpty)
        #expect(rows.records.count == 6)
        #expect(
            rows.records[0].fields == [
                "space", "project_id", "label", "status", "error_kind", "http_status", "attempts", "error",
            ])
        let byID = Dictionary(uniqueKeysWithValues: rows.records.dropFirst().map { ($0.fields[1], $0.fields) })
        #expect(byID[projects[1].projectID]?[2] == "'=HYPERLINK(\"http://evil\")")
        #expect(byID[projects[2].projectID]?[2] == "Acme, \"HQ\"")
        #expect(
            byID[projects[3].projectID]?[3...] == [
                "failed", "unauthorized", "401", "1",
                "HTTP 401: the project's token was refused; check it and its Voice scope",
            ])
    }

    @Test func versionIsPrinted() async {
        let result = await InProcessFleet().run(["--version"])

        #expect(result.status == 0)
        #expect(result.stdout == "\(Fleet.version)\n")
    }
}
