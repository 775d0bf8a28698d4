import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// The binary reads its command line as the in-process tests do.
@Suite struct BinaryCommandLineTests {
    @Test func theBinarySuggestsTheCommandAndShowsASubcommandsHelp() async throws {
        let typo = try await FleetBinary.run(["rollot", "x.json"])
        let help = try await FleetBinary.run(["status", "--help"])
        let version = try await FleetBinary.run(["--version"])

        #expect(typo.status == 64)
        #expect(typo.stderr == "fleet: there is no command rollot; did you mean `fleet rollout x.json`?\n")
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("OVERVIEW: Report a run (default: the latest)."), "\(help.stdout)")
        #expect(version.stdout.hasPrefix("0."))
    }

    @Test func completionOffersFilesByExtensionAndRunsSpacesAndTagsFromTheDatabase() async throws {
        let fixture = try Fixture(projects: TestProject.make(4, spaces: 2))
        let db = fixture.database.path
        _ = try fixture.database.startRun(
            RunSpec(
                kind: .rollout, templateName: "t.json", template: "{}",
                templateSHA256: String(repeating: "0", count: 64), selection: Selection(),
                options: ExecutionOptions(), apiBase: try APIBase(Fixture.apiBase), tasks: .projects([])),
            change: ChangeRecord(), now: Date())

        let script = try await FleetBinary.run(["--generate-completion-script", "bash"])
        let spaces = try await FleetBinary.run([
            "---completion", "plan", "--", "--space", "5", "1", "fleet", "plan", "--db", db, "--space", "s",
        ])
        let runs = try await FleetBinary.run([
            "---completion", "status", "--", "positional@0", "4", "0", "fleet", "status", "--db", db, "",
        ])

        #expect(script.stdout.contains("-fX '!*.@(csv)'"), "the inventory argument completes .csv files")
        #expect(script.stdout.contains("-fX '!*.@(json)'"), "templates and plans complete .json files")
        #expect(script.stdout.contains("-fX '!*.@(pem|crt|cer)'"), "--ca-file completes certificates")
        #expect(spaces.stdout.split(separator: "\n") == ["space0", "space1"], "\(spaces.output)")
        #expect(runs.stdout.split(separator: "\n") == ["1"], "\(runs.output)")
    }
}
