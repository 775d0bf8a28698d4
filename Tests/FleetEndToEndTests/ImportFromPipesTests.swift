import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// Tokens need not sit in a file on disk: `fleet import -`, `/dev/stdin` and a pipe work, and a
/// file that cannot be read says why.
@Suite struct ImportFromPipesTests {
    static let projects = TestProject.make(3)

    /// Runs `script` with `/bin/sh` in `folder`, the built binary as `fleet`.
    static func shell(_ script: String, in folder: TemporaryDirectory) async throws -> CommandResult {
        let output = try await Walkthrough.Shell.output(of: script + "; echo \"[exit $?]\"", in: folder.path)
        let status = Int32(output.firstMatch(of: /\[exit (\d+)\]\n$/).map { String($0.1) } ?? "") ?? -1
        return CommandResult(status: status, stdout: output.replacing(/\[exit \d+\]\n$/, with: ""), stderr: "")
    }

    @Test(arguments: [
        "cat projects.csv | fleet import - --db fleet.db", "fleet import /dev/stdin --db fleet.db < projects.csv",
    ])
    func anInventoryFromAPipeImportsAsFromAFile(script: String) async throws {
        let folder = try TemporaryDirectory()
        _ = try folder.write("projects.csv", TestProject.csv(Self.projects))

        let result = try await Self.shell(script, in: folder)

        #expect(result.status == 0, "\(result.stdout)")
        #expect(
            result.stdout == "imported 3 projects in 3 spaces: 3 new, 0 token changed, 0 other changed, 0 identical\n")
        let stored = try FleetDatabase(path: folder.file("fleet.db"), access: .read).projects(Selection())
        #expect(stored.map(\.storedToken).sorted() == Self.projects.map(\.token).sorted())
    }

    @Test func aFileThatCannotBeReadSaysWhyAndAnEmptyOneSaysEmpty() async throws {
        let folder = try TemporaryDirectory()
        _ = try folder.write("empty.csv", "")
        try FileManager.default.createDirectory(atPath: folder.file("folder.csv"), withIntermediateDirectories: false)
        #expect(mkfifo(folder.file("nobody-writes.csv"), 0o600) == 0)

        let missing = try await Self.shell("fleet import missing.csv --db fleet.db", in: folder)
        let empty = try await Self.shell("fleet import empty.csv --db fleet.db", in: folder)
        let null = try await Self.shell("fleet import /dev/null --db fleet.db", in: folder)
        let directory = try await Self.shell("fleet import folder.csv --db fleet.db", in: folder)
        let fifo = try await Self.shell("fleet import nobody-writes.csv --db fleet.db", in: folder)

        #expect(missing.stdout == "fleet: cannot read missing.csv: No such file or directory.\n")
        #expect(empty.stdout == "fleet: empty.csv is empty.\n")
        #expect(null.stdout == "fleet: /dev/null is empty.\n")
        #expect(directory.stdout == "fleet: cannot read folder.csv: it is a directory.\n")
        #expect(fifo.stdout == "fleet: nobody-writes.csv is empty.\n", "a FIFO without a writer does not block")
        #expect([missing, empty, null, directory, fifo].allSatisfy { $0.status == 65 })
        #expect(!FileManager.default.fileExists(atPath: folder.file("fleet.db")))
    }

    @Test func aTargetListFromStdinSelectsItsProjectsAndExclusionsNarrowThem() async throws {
        let folder = try TemporaryDirectory()
        _ = try folder.write("projects.csv", TestProject.csv(Self.projects))
        let script = """
            fleet import projects.csv --db fleet.db > /dev/null
            printf '# CHG-2291\\nProject 0\\n\\n%s\\nProject 2\\n' \(Self.projects[1].projectID) | fleet projects --projects-from - --exclude-space \(Self.projects[2].space) --db fleet.db --json
            """

        let result = try await Self.shell(script, in: folder)

        #expect(result.status == 0, "\(result.stdout)")
        let listed = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)")
        #expect(listed.map { $0["label"] as? String } == ["Project 0", "Project 1"])
    }
}
