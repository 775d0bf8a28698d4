import FleetCore
import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// Holds: a field of a project that plan, rollout, a saved plan and a retry leave as it is live,
/// until it is ended or lapses; an accepted deviation counts as in line.
@Suite struct HoldsTests {
    static let projects = TestProject.make(4, spaces: 2)
    /// Project 1's PBX speaks PCMU only.
    static let pcmu = ["PCMU"]

    /// Project 1 live with PCMU only, and its codecs held.
    static func holdProject1(_ setup: Workspace, fleet: InProcessFleet? = nil) async {
        var live = setup.profile(projects[1])
        live.defaultCodecs = pcmu
        setup.simulator.setProfile(live, space: projects[1].space, projectID: projects[1].projectID)
        let held = await (fleet ?? setup.fleet).run(
            ["hold", "Project 1", "default_codecs", "--reason", "PBX speaks PCMU only", "--db", setup.db])
        #expect(held.status == 0, "\(held.output)")
    }

    @Test(.workspace(projects))
    func aHeldFieldKeepsItsLiveValueThroughPlanAndRolloutAndTheRestChanges() async throws {
        let setup = Workspace.current
        await Self.holdProject1(setup)

        let plan = await setup.fleet.run(["plan", setup.template, "--detail"] + setup.api)
        let json = await setup.fleet.run(["plan", setup.template, "--json"] + setup.api)
        let rollout = await setup.fleet.run(["rollout", setup.template] + setup.apply)

        #expect(plan.stdout.contains("\(Self.projects[1].space) \(Self.projects[1].projectID) Project 1\n"))
        #expect(!plan.stdout.contains("[PCMU] → "), "the held field is no change: \(plan.stdout)")
        #expect(plan.stdout.contains("    held: default_codecs\n"))
        #expect(
            plan.stdout.contains(
                "held (accepted deviations, left as they are live; `fleet holds` lists them):\n  default_codecs: 1 project (space1 1)\n"
            ))
        let body = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let held = try #require(body["held"] as? [[String: Any]])
        #expect(held.count == 1 && held[0]["field"] as? String == "default_codecs" && held[0]["projects"] as? Int == 1)
        #expect((held[0]["spaces"] as? [String: Int]) == ["space1": 1])
        #expect(body["held_projects"] as? Int == 1)
        #expect(rollout.status == 0, "\(rollout.output)")
        #expect(setup.profile(Self.projects[1]).defaultCodecs == Self.pcmu, "held: kept as it is live")
        #expect(setup.profile(Self.projects[1]).defaultEncryption == "required", "the rest changed")
        #expect(setup.profile(Self.projects[0]).defaultCodecs == ["OPUS", "G722", "PCMU"], "others are not held")
        let run = try #require(try setup.fixture.database.runSummaries(now: Date()).first?.run)
        #expect(run.holds?.map(\.key) == ["space1/\(Self.projects[1].projectID)/default_codecs"])
    }

    @Test(.workspace(projects))
    func aProjectWhoseOnlyDifferencesAreHeldIsUnchangedAndInLine() async throws {
        let setup = Workspace.current
        for project in Self.projects {
            setup.simulator.setProfile(project.secureProfile, space: project.space, projectID: project.projectID)
        }
        await Self.holdProject1(setup)

        let plan = await setup.fleet.run(["plan", setup.template, "--detailed-exitcode"] + setup.api)
        let rollout = await setup.fleet.run(["rollout", setup.template] + setup.apply)

        #expect(plan.status == 0, "only accepted deviations: compliant. \(plan.output)")
        #expect(
            plan.stdout.hasSuffix(
                "in line with the template: 4 of 4 projects (space0 2 of 2, space1 2 of 2); 1 of them through held fields\n"
            ))
        #expect(rollout.status == 0)
        let run = try setup.fixture.database.requireRun(1)
        let tasks = try setup.fixture.database.outcomes(of: run, state: run.state)
        #expect(tasks.first { $0.projectID == Self.projects[1].projectID }?.status == .unchanged)
        #expect(setup.simulator.requests(project: Self.projects[1].projectID, method: "PUT") == 0)
    }

    @Test(.workspace(projects))
    func unholdMakesTheNextRolloutChangeTheField() async throws {
        let setup = Workspace.current
        await Self.holdProject1(setup)
        #expect(await setup.fleet.run(["rollout", setup.template] + setup.apply).status == 0)

        let unhold = await setup.fleet.run(["unhold", "Project 1", "--db", setup.db])
        let again = await setup.fleet.run(["unhold", "Project 1", "--db", setup.db])
        let next = await setup.fleet.run(["rollout", setup.template] + setup.apply)

        #expect(
            unhold.stdout
                == "ended the hold on default_codecs of space1 \(Self.projects[1].projectID) Project 1; the next rollout changes it as the template says.\n"
        )
        #expect(again.status == 64, "nothing left to end")
        #expect(next.status == 0)
        #expect(setup.profile(Self.projects[1]).defaultCodecs == ["OPUS", "G722", "PCMU"])
    }

    @Test(.workspace(projects))
    func aSavedPlanKeepsTheHoldAndIsRefusedOnceTheHoldsChanged() async throws {
        let setup = Workspace.current
        await Self.holdProject1(setup)
        let planFile = setup.fixture.directory.file("plan.json")
        #expect(await setup.fleet.run(["plan", setup.template, "--out", planFile] + setup.api).status == 0)
        let saved = try String(contentsOfFile: planFile, encoding: .utf8)
        #expect(
            saved.contains("\"holds\":[{\"field\":\"default_codecs\",\"project_id\":\"\(Self.projects[1].projectID)\""))
        let second = setup.fixture.directory.file("second.json")
        #expect(await setup.fleet.run(["plan", setup.template, "--out", second] + setup.api).status == 0)

        let applied = await setup.fleet.run(["rollout", "--plan", planFile] + setup.apply)
        #expect(
            await setup.fleet.run(
                ["hold", "Project 2", "default_ciphers", "--reason", "legacy SBC", "--db", setup.db]
            ).status == 0)
        let refused = await setup.fleet.run(["rollout", "--plan", second] + setup.apply)

        #expect(applied.status == 0, "\(applied.output)")
        #expect(setup.profile(Self.projects[1]).defaultCodecs == Self.pcmu)
        #expect(setup.profile(Self.projects[1]).defaultEncryption == "required")
        #expect(refused.status == 64)
        #expect(
            refused.stderr.hasPrefix(
                "fleet: the holds changed since the plan \(setup.template) was made: space0/\(Self.projects[2].projectID)/default_ciphers is held now; its bodies would undo or ignore them."
            ), "\(refused.stderr)")
        #expect(
            setup.simulator.requests(project: Self.projects[2].projectID, method: "PUT") == 1, "only the first plan's")
    }

    @Test(.workspace(projects))
    func aRetryLeavesAHeldFieldAsItIsLive() async throws {
        let setup = Workspace.current
        setup.simulator.setRevoked([Self.projects[1].projectID])
        #expect(await setup.fleet.run(["rollout", setup.template] + setup.apply).status == 1)
        await Self.holdProject1(setup)
        setup.simulator.setRevoked([])

        let retry = await setup.fleet.run(["retry"] + setup.apply)

        #expect(retry.status == 0, "\(retry.output)")
        #expect(
            setup.profile(Self.projects[1]).defaultCodecs == Self.pcmu, "held since the rollout: the retry keeps it")
        #expect(setup.profile(Self.projects[1]).defaultEncryption == "required")
    }

    @Test(.workspace(projects))
    func aLapsedHoldNoLongerAppliesAndHoldsSaysSo() async throws {
        let setup = Workspace.current
        let clock = VirtualClock()
        var fleet = setup.fleet
        fleet.clock = clock
        var live = setup.profile(Self.projects[1])
        live.defaultCodecs = Self.pcmu
        setup.simulator.setProfile(live, space: Self.projects[1].space, projectID: Self.projects[1].projectID)
        let until = FleetDatabase.timestamp(clock.date().addingTimeInterval(3600))
        let held = await fleet.run(
            ["hold", "Project 1", "default_codecs", "--reason", "freeze", "--until", until, "--db", setup.db])
        let during = await fleet.run(["plan", setup.template, "--json"] + setup.api)
        try await clock.sleep(for: .seconds(3601))

        let listed = await fleet.run(["holds", "--db", setup.db])
        let all = await fleet.run(["holds", "--all", "--json", "--db", setup.db])
        let plan = await fleet.run(["plan", setup.template, "--json"] + setup.api)
        let rollout = await fleet.run(["rollout", setup.template] + setup.apply)

        #expect(held.status == 0, "\(held.output)")
        #expect(during.stdout.contains("\"held_projects\":1"))
        #expect(
            listed.stdout
                == "no holds in effect; `fleet hold PROJECT FIELD --reason TEXT --db \(setup.db)` places one; 1 lapsed (`fleet holds --all --db \(setup.db)` lists them).\n"
        )
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["in_effect"] as? Bool } == [false])
        #expect(entries.map { $0["held_by"] as? String } == ["ops@bastion"])
        #expect(entries.map { $0["until"] as? String } == [until])
        #expect(plan.stdout.contains("\"held_projects\":0"))
        #expect(rollout.status == 0)
        #expect(setup.profile(Self.projects[1]).defaultCodecs == ["OPUS", "G722", "PCMU"], "lapsed: changed")
    }

    @Test(.workspace(projects))
    func aHoldNeedsAWritableFieldAReasonAndAFutureEnd() async throws {
        let setup = Workspace.current
        let typo = await setup.fleet.run(["hold", "Project 1", "default_codec", "--reason", "x", "--db", setup.db])
        let domain = await setup.fleet.run(["hold", "Project 1", "domain", "--reason", "x", "--db", setup.db])
        let noReason = await setup.fleet.run(["hold", "Project 1", "default_codecs", "--db", setup.db])
        let past = await setup.fleet.run(
            ["hold", "Project 1", "default_codecs", "--reason", "x", "--until", "2020-01-01", "--db", setup.db])
        let noOffset = await setup.fleet.run(
            ["hold", "Project 1", "default_codecs", "--reason", "x", "--until", "2030-01-01T10:00", "--db", setup.db])
        let nobody = await setup.fleet.run(["hold", "Project 9", "default_codecs", "--reason", "x", "--db", setup.db])

        #expect([typo, domain, noReason, past, noOffset, nobody].map(\.status) == [64, 64, 64, 64, 64, 64])
        #expect(
            typo.stderr
                == "fleet: default_codec is not a writable field; did you mean default_codecs? the fields are \(ProfileField.keys).\n"
        )
        #expect(past.stderr == "fleet: --until 2020-01-01 is already past; give a later time.\n")
        #expect(noOffset.stderr.contains("is not a time: give ISO 8601 with an offset"))
        #expect(nobody.stderr.contains("Project 9 names no project in"))
        #expect(try setup.fixture.database.holds().isEmpty)
    }
}
