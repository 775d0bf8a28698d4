import FleetCore
import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// Saying exactly which projects and which fields: exclusions (`--exclude-space`, `-tag`,
/// `-project`), a file of targets (`--projects-from`), and holds, the accepted deviations that
/// plan and rollout leave as they are live.
@Suite struct ExclusionsAndHoldsTests {
    /// Eight projects over two spaces; tags: a on 0–3, b on the even ones, frozen on 5.
    static let projects = TestProject.make(8, spaces: 2)
    static func tags(_ project: TestProject) -> String {
        let index = projects.firstIndex(of: project)!
        return ([index < 4 ? "a" : nil, index % 2 == 0 ? "b" : nil, index == 5 ? "frozen" : nil].compactMap { $0 })
            .joined(separator: ";")
    }
    static let tagged = TestProject.csv(projects, extraHeader: ",send_as,tags") { ",+15550001111,\(tags($0))" }

    /// The indices of the projects `arguments` reads: the simulator's GETs, counted around a plan.
    static func requested(_ arguments: [String], in setup: Workspace) async -> (Set<Int>, CommandResult) {
        let before = projects.map { setup.simulator.requests(project: $0.projectID, method: "GET") }
        let result = await setup.fleet.run(["plan", setup.template] + arguments + setup.api)
        let after = projects.map { setup.simulator.requests(project: $0.projectID, method: "GET") }
        return (Set(projects.indices.filter { after[$0] > before[$0] }), result)
    }

    @Test(.workspace(projects, csv: { _ in tagged }))
    func eachExclusionLeavesOutExactlyTheProjectsItMatches() async throws {
        let setup = Workspace.current
        let cases: [([String], Set<Int>)] = [
            (["--exclude-space", "space1"], [0, 2, 4, 6]),
            (["--exclude-tag", "frozen"], [0, 1, 2, 3, 4, 6, 7]),
            (["--exclude-tag", "frozen", "--exclude-tag", "a"], [4, 6, 7]),
            (["--exclude-project", "Project 3", "--exclude-project", Self.projects[6].projectID], [0, 1, 2, 4, 5, 7]),
            (["--tag", "b", "--exclude-space", "space0"], []),
            (["--space", "space1", "--exclude-tag", "a", "--exclude-project", "Project 7"], [5]),
        ]
        for (arguments, expected) in cases where !expected.isEmpty {
            let (requested, result) = await Self.requested(arguments, in: setup)
            #expect(result.status == 0, "\(arguments): \(result.output)")
            #expect(requested == expected, "\(arguments)")
        }
        let (none, empty) = await Self.requested(["--tag", "b", "--exclude-space", "space0"], in: setup)
        #expect(empty.status == 64 && none.isEmpty, "\(empty.output)")
        #expect(empty.stderr.contains("no enabled project matches the selection"))
    }

    @Test(.workspace(projects, csv: { _ in tagged }))
    func anExclusionThatMatchesNothingIsRefusedWithTheClosestName() async throws {
        let setup = Workspace.current
        let results = [
            await setup.fleet.run(["rollout", setup.template, "--exclude-space", "spaec1"] + setup.apply),
            await setup.fleet.run(["rollout", setup.template, "--exclude-tag", "frozn"] + setup.apply),
            await setup.fleet.run(["rollout", setup.template, "--exclude-project", "Projcet 3"] + setup.apply),
            await setup.fleet.run(
                ["rollout", setup.template, "--exclude-project", "00000000-0000-4000-8000-00000000ffff"] + setup.apply),
        ]
        #expect(results.map(\.status) == [64, 64, 64, 64], "\(results.map(\.output))")
        #expect(
            results[0].stderr == "fleet: --exclude-space spaec1 matches no space in \(setup.db); did you mean space1?\n"
        )
        #expect(results[1].stderr.hasPrefix("fleet: --exclude-tag frozn matches no project's tag in "))
        #expect(results[1].stderr.contains("did you mean frozen?"))
        #expect(
            results[2].stderr
                == "fleet: --exclude-project Projcet 3 names no project in \(setup.db); did you mean Project 3?\n"
        )
        #expect(results[3].stderr.contains("--exclude-project 00000000-0000-4000-8000-00000000ffff matches no project"))
        #expect(setup.simulator.statistics.total == 0, "nothing was sent")
        #expect(try setup.fixture.database.runSummaries(now: Date()).isEmpty, "nothing was recorded")
    }

    @Test(.workspace(projects, csv: { _ in tagged }))
    func aTargetFileSelectsExactlyTheProjectsItNamesAndReportsEveryBadLine() async throws {
        let setup = Workspace.current
        let good = try setup.fixture.directory.write(
            "ticket.txt",
            "# CHG-2291: the customers who asked\n\nProject 1\n  \(Self.projects[4].projectID)  \n# Project 6\r\nspace1/\(Self.projects[7].projectID)\n"
        )
        let bad = try setup.fixture.directory.write(
            "typos.txt", "Project 1\nProjetc 2\n00000000-0000-4000-8000-00000000ffff\n# fine\nProject 4\n")

        let (requested, result) = await Self.requested(["--projects-from", good], in: setup)
        let (narrowed, _) = await Self.requested(["--projects-from", good, "--exclude-tag", "b"], in: setup)
        let refused = await setup.fleet.run(["rollout", setup.template, "--projects-from", bad] + setup.apply)

        #expect(result.status == 0, "\(result.output)")
        #expect(requested == [1, 4, 7])
        #expect(narrowed == [1, 7])
        #expect(refused.status == 65)
        #expect(
            refused.stderr == """
                \(bad):2: Projetc 2 names no project in \(setup.db); did you mean Project 2?
                \(bad):3: 00000000-0000-4000-8000-00000000ffff names no project in \(setup.db).
                fleet: 2 lines of \(bad) name no project fleet can select; correct them and run again. Nothing was sent.

                """)
        #expect(setup.simulator.statistics.requests.values.allSatisfy { $0["PUT"] == nil }, "nothing was written")
        #expect(try setup.fixture.database.runSummaries(now: Date()).isEmpty)
    }

    @Test(.workspace(projects, csv: { _ in tagged }))
    func aTargetFileNamingADisabledProjectIsRefused() async throws {
        let setup = Workspace.current
        let csv = TestProject.csv([Self.projects[2]], extraHeader: ",enabled") { _ in ",false" }
        #expect(
            await setup.fleet.run(["import", try setup.fixture.directory.write("off.csv", csv), "--db", setup.db])
                .status == 0)
        let file = try setup.fixture.directory.write("list.txt", "Project 1\nProject 2\n")

        let plan = await setup.fleet.run(["plan", setup.template, "--projects-from", file] + setup.api)
        let listed = await setup.fleet.run(["projects", "--projects-from", file, "--db", setup.db])

        #expect(plan.status == 65)
        #expect(
            plan.stderr.hasPrefix(
                "\(file):2: space0 \(Self.projects[2].projectID) Project 2 is disabled; enable it in the inventory or take the line out.\n"
            ))
        #expect(listed.status == 0, "fleet projects lists disabled projects too: \(listed.output)")
        #expect(listed.stdout.hasSuffix("2 projects\n"))
    }

    @Test(.workspace(projects, csv: { _ in tagged }))
    func thePreflightLineAndTheRunRecordSayWhatWasExcludedAndRetryKeepsIt() async throws {
        let setup = Workspace.current
        setup.simulator.setRevoked([Self.projects[0].projectID])

        let rollout = await setup.fleet.run(
            ["rollout", setup.template, "--exclude-space", "space1", "--exclude-tag", "frozen"] + setup.apply)
        setup.simulator.setRevoked([])
        let puts = { Self.projects.map { setup.simulator.requests(project: $0.projectID, method: "PUT") } }
        let before = puts()
        let retry = await setup.fleet.run(["retry", "1"] + setup.apply)

        #expect(rollout.status == 1, "\(rollout.output)")
        #expect(rollout.stderr.contains(": 4 projects in 1 space (4 left out: space space1, tag frozen) at "))
        let run = try #require(try setup.fixture.database.runSummaries(now: Date()).first?.run)
        #expect(run.selection.excludedSpaces == ["space1"])
        #expect(run.selection.excludedTags == ["frozen"])
        #expect(retry.status == 0, "\(retry.output)")
        #expect(zip(before, puts()).map { $1 - $0 } == [1, 0, 0, 0, 0, 0, 0, 0], "only the failed project, again")
    }
}
