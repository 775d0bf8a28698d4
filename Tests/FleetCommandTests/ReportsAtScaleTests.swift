import FleetCore
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// The reports an operator reads at 3,000 projects over 30 spaces point at what to do.
@Suite struct ReportsAtScaleTests {
    @Test func aRunWithStaleTokensAndOneRefusedSpaceReportsThemApartInFortyLines() async throws {
        // Given 3,000 projects over 30 spaces: 14 stale tokens over 13 spaces, and space7 whose every token is refused
        let projects = TestProject.make(3000, spaces: 30)
        var faults = SimulatorConfiguration()
        let stale = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 31].map { projects[$0] }
        faults.revoked = Set(stale.map(\.projectID) + projects.filter { $0.space == "space7" }.map(\.projectID))
        let setup = try Workspace(projects, simulator: faults)

        let run = await setup.fleet.run(
            ["rollout", setup.template, "--concurrency", "64", "--rate", "100000"] + setup.apply)
        let status = await setup.fleet.run(["status", "1", "--db", setup.db])

        // Then the stopped space is listed apart, with what it left, and the stale tokens are one group per space
        #expect(run.status == 1)
        let lines = status.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 40, "\(lines.count) lines:\n\(status.stdout)")
        #expect(
            status.stdout.contains(
                "halted by the circuit breaker: all 10 projects tried in space7 were refused (401/403); check the tokens; 29 of 30 spaces finished"
            ), "\(status.stdout)")
        #expect(
            status.stdout.contains(
                "\nstopped by the circuit breaker (their pending tasks run again with `fleet retry 1 --db \(setup.db)`):\n"
            ))
        let failed: Int = try #require(
            try setup.fixture.database.scalar(
                "SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id WHERE s.name = 'space7' AND t.state = 'failed'"
            ))
        #expect(
            status.stdout.contains(
                "\n  space7 (127.0.0.1:9): all 10 projects tried in space7 were refused (401/403); check the tokens: \(failed) failed, \(100 - failed) pending\n"
            ),
            "\(status.stdout)")
        #expect(
            status.stdout.contains(
                "  unauthorized: HTTP 401: the project's token was refused; check it and its Voice scope (14 projects: space1 2, space10 1, space11 1, space12 1, space13 1, …)"
            ), "\(status.stdout)")
        #expect(
            status.stdout.contains(
                "    … and 4 more: `fleet status 1 --state failed --db \(setup.db)` lists the failed ones"),
            "\(status.stdout)")
        #expect(
            !status.stdout.contains("space7 10000007"), "the stopped space's projects are not in the failure groups")
    }

    @Test(.workspace(TestProject.make(3000, spaces: 30)))
    func verifyWith46DriftedIsASummaryOfAtMost30Lines() async throws {
        let setup = Workspace.current
        #expect(
            await setup.fleet.run(["rollout", setup.template, "--concurrency", "64", "--rate", "100000"] + setup.apply)
                .status == 0)
        for project in setup.projects.prefix(46) { setup.edit(project) }

        let verify = await setup.fleet.run(["verify", "1", "--concurrency", "64", "--rate", "100000"] + setup.api)
        let detail = await setup.fleet.run(
            ["verify", "1", "--detail", "--concurrency", "64", "--rate", "100000"] + setup.api)

        #expect(verify.status == 1)
        let lines = verify.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 30, "\(lines.count) lines:\n\(verify.stdout)")
        #expect(
            verify.stdout.contains(
                "  default_codecs: written [OPUS, G722, PCMU], now [PCMU]: 46 projects (space0 2, space1 2, "),
            "\(verify.stdout)")
        #expect(verify.stdout.hasSuffix("verify run 1: 3000 projects it wrote, 46 drifted, 0 could not be read\n"))
        #expect(detail.stdout.split(separator: "\n").count > 46 * 3, "--detail lists every project")
    }

    @Test func aPlanAgainstAnUntrustedCertificateIsAFewLinesAt3000Projects() async throws {
        let setup = try Workspace(TestProject.make(3000, spaces: 30))
        try await setup.serving { apiBase, _ in
            let plan = await InProcessFleet().run([
                "plan", setup.template, "--db", setup.db, "--api-base", apiBase, "--quiet",
            ])

            #expect(plan.status == 1)
            let lines = plan.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count <= 10, "\(lines.count) lines:\n\(plan.stdout)")
            #expect(plan.stdout.contains("  tls: the certificate of the space's host is not trusted"), "\(plan.stdout)")
        }
    }
}
