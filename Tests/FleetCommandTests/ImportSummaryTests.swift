import FleetCore
import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// What `fleet import` says it did lets the operator confirm a fix landed: new, token changed,
/// other fields changed, identical; `--dry-run` says it and writes nothing.
@Suite struct ImportSummaryTests {
    static let projects = TestProject.make(6, spaces: 2)

    @Test func aReimportSaysNewTokenChangedOtherChangedAndIdenticalApart() async throws {
        // Given an imported inventory
        let directory = try TemporaryDirectory()
        let db = directory.file("fleet.db")
        let first = await InProcessFleet().run([
            "import", try directory.write("a.csv", TestProject.csv(Self.projects)), "--db", db,
        ])
        var next = Self.projects
        next[0].token += "rotated"
        next[1].token += "rotated"
        next[2].label = "Renamed"
        next.append(TestProject.make(7, spaces: 2, salt: "new")[6])

        // When the same file is imported again, then one with two rotated tokens, a renamed label and a new project
        let same = await InProcessFleet().run([
            "import", try directory.write("b.csv", TestProject.csv(Self.projects)), "--db", db,
        ])
        let changed = await InProcessFleet().run([
            "import", try directory.write("c.csv", TestProject.csv(next)), "--db", db,
        ])

        #expect(
            first.stdout == "imported 6 projects in 2 spaces: 6 new, 0 token changed, 0 other changed, 0 identical\n")
        #expect(
            same.stdout == "imported 6 projects in 2 spaces: 0 new, 0 token changed, 0 other changed, 6 identical\n")
        #expect(
            changed.stdout == "imported 7 projects in 2 spaces: 1 new, 2 token changed, 1 other changed, 3 identical\n")
    }

    @Test func aDryRunSaysWhatAnImportWouldDoAndWritesNothing() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.file("fleet.db")
        var next = Self.projects
        next[0].token += "rotated"
        let missing = await InProcessFleet().run(
            ["import", try directory.write("a.csv", TestProject.csv(Self.projects)), "--dry-run", "--db", db])
        #expect(!FileManager.default.fileExists(atPath: db), "a dry run creates no database")
        _ = await InProcessFleet().run(["import", directory.file("a.csv"), "--db", db])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db))

        let dry = await InProcessFleet().run([
            "import", try directory.write("b.csv", TestProject.csv(next)), "--dry-run", "--db", db,
        ])

        #expect(missing.status == 0, "\(missing.stderr)")
        #expect(
            missing.stdout
                == "dry run (nothing was written): would import 6 projects in 2 spaces: 6 new, 0 token changed, 0 other changed, 0 identical\n"
        )
        #expect(dry.status == 0)
        #expect(
            dry.stdout
                == "dry run (nothing was written): would import 6 projects in 2 spaces: 0 new, 1 token changed, 0 other changed, 5 identical\n"
        )
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == bytes)
        let stored = try FleetDatabase(path: db, access: .read).projects(Selection(includeDisabled: true))
        #expect(stored.first { $0.projectID == next[0].projectID }?.storedToken == Self.projects[0].token)
    }
}

/// The inventory files spreadsheets write.
@Suite struct SpreadsheetCSVTests {
    @Test func aSemicolonSeparatedFileIsOneSentenceThatSaysSemicolons() async throws {
        let directory = try TemporaryDirectory()
        let project = TestProject.make(1)[0]
        let csv = try directory.write(
            "semi.csv", "space;project_id;token\n\(project.space);\(project.projectID);\(project.token)\n")

        let result = await InProcessFleet().run(["import", csv, "--db", directory.file("fleet.db")])

        #expect(result.status == 65)
        #expect(
            result.stderr == """
                \(csv):1: the file is separated by semicolons, not commas; save it as CSV with commas (Excel: CSV UTF-8)
                fleet: \(csv) has 1 bad row; nothing was imported. Fix it and run `fleet import` again.

                """)
    }

    @Test func whollyEmptyRowsAreSkipped() async throws {
        let directory = try TemporaryDirectory()
        let projects = TestProject.make(2)
        let rows = TestProject.csv(projects).split(separator: "\n").map(String.init)
        let csv = try directory.write(
            "blank.csv", ([rows[0], ",,,,", rows[1], " , ,,,", rows[2], ",,,,"]).joined(separator: "\n") + "\n")

        let result = await InProcessFleet().run(["import", csv, "--db", directory.file("fleet.db")])

        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("imported 2 projects"))
    }
}
