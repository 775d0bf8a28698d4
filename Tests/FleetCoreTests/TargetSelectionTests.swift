import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// A project named by a line of `--projects-from` or by `--exclude-project` is that project: in
/// its space when the line says `SPACE/UUID`, and however many lines the file has.
@Suite struct TargetSelectionTests {
    @Test func aLineNamingSpaceAndUUIDSelectsAndExcludesThatSpacesProjectOnly() throws {
        // The same UUID in space0 and space1 (a project id copied across spaces), then others.
        let projects = TestProject.make(4, spaces: 2)
        let twin = projects[1].projectID
        let fixture = try Fixture(
            projects: projects,
            csv: TestProject.csv(projects) + "space0,\(twin),\(projects[0].token),Twin,+15550001111\n")
        let file = TargetFile(path: "ticket.txt", text: "space1/\(twin)\nProject 2\n")

        let selected = try fixture.database.selection(Selection(), excluding: [], from: file)
        let excluded = try fixture.database.selection(Selection(), excluding: ["space1/\(twin)"], from: nil)
        let byUUID = try fixture.database.selection(Selection(projectIDs: [twin]), excluding: [], from: nil)

        try fixture.database.checkMatches(selected)
        try fixture.database.checkMatches(excluded)
        #expect(
            try fixture.database.projects(selected).map(\.heading) == [
                "space0 \(projects[2].projectID) Project 2", "space1 \(twin) Project 1",
            ])
        #expect(
            try fixture.database.projects(excluded).map(\.label) == ["Project 0", "Twin", "Project 2", "Project 3"])
        #expect(
            try fixture.database.projects(byUUID).map(\.label) == ["Twin", "Project 1"], "--project UUID: every space")
    }

    @Test func aFileOfMoreLinesThanSQLiteTakesParametersSelectsEveryProjectItNames() throws {
        let projects = TestProject.make(33_000, spaces: 3)
        let fixture = try Fixture(projects: projects)
        let named = projects.dropLast(100)
        let file = TargetFile(path: "big.txt", text: named.map(\.projectID).joined(separator: "\n"))

        let selection = try fixture.database.selection(Selection(), excluding: [], from: file)
        let unnamed = try fixture.database.selection(
            Selection(excludedProjectIDs: named.map(\.projectID)), excluding: [], from: nil)

        #expect(try fixture.database.count(selection) == 32_900)
        #expect(try fixture.database.count(unnamed) == 100)
        #expect(
            Set(try fixture.database.projects(unnamed).map(\.projectID)) == Set(projects.suffix(100).map(\.projectID)))
        // Past Debian's cap too (its SQLite takes 250,000 parameters; the default is 32,766).
        let many = (0..<300_000).map { String(format: "%08x-0000-4000-8000-%012x", 0x2000_0000 + $0, $0) }
        #expect(try fixture.database.count(Selection(projectIDs: many, excludedProjectIDs: many)) == 0)
        #expect(try fixture.database.count(Selection(excludedProjectIDs: many)) == 33_000)
    }
}
