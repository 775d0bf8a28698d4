import FleetCore
import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// `fleet plan` as a drift check: how many projects are in line with the template, per space, and
/// terraform's `-detailed-exitcode` for cron and CI.
@Suite struct PlanComplianceTests {
    @Test(.workspace(TestProject.make(6, spaces: 2)))
    func planSaysHowManyProjectsAreInLineWithTheTemplatePerSpace() async throws {
        // Given 3 of 6 projects already in line: 2 in space0, 1 in space1
        let setup = Workspace.current
        for project in [setup.projects[0], setup.projects[2], setup.projects[1]] {
            setup.simulator.setProfile(project.secureProfile, space: project.space, projectID: project.projectID)
        }

        let text = await setup.fleet.run(["plan", setup.template] + setup.api)
        let json = await setup.fleet.run(["plan", setup.template, "--json"] + setup.api)

        #expect(
            text.stdout.hasSuffix(
                "plan for \(setup.template): 6 projects selected, 3 would change, 3 unchanged, 0 could not be read\n"
                    + "in line with the template: 3 of 6 projects (space0 2 of 3, space1 1 of 3)\n"), "\(text.stdout)")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let spaces = try #require(body["spaces"] as? [[String: Any]])
        #expect(spaces.map { $0["space"] as? String } == ["space0", "space1"])
        #expect(spaces.map { $0["in_line"] as? Int } == [2, 1])
        #expect(spaces.map { $0["selected"] as? Int } == [3, 3])
    }

    @Test(.workspace(TestProject.make(4)))
    func detailedExitcodeIsZeroInLineTwoForChangesOneForUnreadable() async throws {
        let setup = Workspace.current
        let plan = ["plan", setup.template, "--detailed-exitcode"] + setup.api

        let changes = await setup.fleet.run(plan)
        let plain = await setup.fleet.run(["plan", setup.template] + setup.api)
        for project in setup.projects {
            setup.simulator.setProfile(project.secureProfile, space: project.space, projectID: project.projectID)
        }
        let inLine = await setup.fleet.run(plan)
        setup.simulator.setRevoked([setup.projects[3].projectID])
        let unreadable = await setup.fleet.run(plan)

        #expect(changes.status == 2, "\(changes.output)")
        #expect(plain.status == 0, "without the flag, changes are no error")
        #expect(inLine.status == 0, "\(inLine.output)")
        #expect(inLine.stdout.contains("in line with the template: 4 of 4 projects"))
        #expect(unreadable.status == 1, "\(unreadable.output)")
    }
}
