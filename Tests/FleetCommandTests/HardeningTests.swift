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

/// What a hostile server, a careless shell or someone else's file can do, through the commands.
@Suite struct HardeningTests {
    let template = secureTemplate

    /// A database with `projects`, a template file, and the command line to reach `apiBase`.
    @Test(.timeLimit(.minutes(1)))
    func aServerThatStallsTheBodyCostsATimeoutPerAttemptAndTheRunEnds() async throws {
        try await HostileServer().run { apiBase in
            // Given projects whose space's server stalls every body
            let setup = try Workspace(
                TestProject.make(2, spaces: 1).map {
                    var project = $0
                    project.space = "stall"
                    return project
                })

            let result = await InProcessFleet().run([
                "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase,
                "--timeout", "0.3", "--max-attempts", "2", "--quiet", "--json",
            ])

            // Then every attempt is recorded as a timeout without a status, and the run finished
            #expect(result.status == 1)
            let status = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let projects = try #require(status["projects"] as? [[String: Any]])
            #expect(
                projects.allSatisfy {
                    $0["error_kind"] as? String == "timeout" && $0["http_status"] is NSNull
                        && $0["attempts"] as? Int == 2
                })
            #expect(
                try setup.fixture.database.scalar(
                    "SELECT count(*) FROM attempts WHERE error_kind = 'timeout' AND http_status IS NULL") == 4)
        }
    }

    @Test func aHostileRetryAfterNeverCrashesARunOrItsRetry() async throws {
        try await HostileServer().run { apiBase in
            let setup = try Workspace(
                TestProject.make(1, spaces: 1).map {
                    var project = $0
                    project.space = "retryinf"
                    return project
                })
            let arguments = ["--db", setup.db, "--api-base", apiBase, "--max-attempts", "2", "--quiet"]

            let rollout = await InProcessFleet().run(["rollout", "--yes", setup.template] + arguments)
            let retry = await InProcessFleet().run(["retry", "--yes"] + arguments)

            #expect(rollout.status == 1)
            #expect(retry.status == 1)
            #expect(
                try setup.fixture.database.scalar(
                    "SELECT count(*) FROM attempts WHERE error_kind = 'rate_limited' AND http_status = 429") == 4)
        }
    }

    @Test func aPutAnswered200IsRecordedAs200() async throws {
        try await HostileServer().run { apiBase in
            let setup = try Workspace(
                TestProject.make(1, spaces: 1).map {
                    var project = $0
                    project.space = "put200"
                    return project
                })

            let result = await InProcessFleet().run([
                "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase, "--quiet",
            ])

            #expect(result.status == 0, "\(result.output)")
            #expect(
                try setup.fixture.database.column("SELECT http_status FROM attempts ORDER BY number") == [200, 200])
            #expect(try setup.fixture.database.scalar("SELECT http_status FROM tasks") == 200)
        }
    }

    @Test func aServerThatEchoesTheTokenNeverGetsItPrintedOrStored() async throws {
        try await HostileServer().run { apiBase in
            let projects = TestProject.make(1, spaces: 1).map {
                var project = $0
                project.space = "echo"
                return project
            }
            let setup = try Workspace(projects)

            var results = [
                await InProcessFleet().run([
                    "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase, "--quiet",
                    "--force",
                ])
            ]
            for arguments in [
                ["status"], ["status", "--json"], ["status", "--csv"], ["status", "--failed"], ["runs", "--json"],
            ] {
                results.append(await InProcessFleet().run(arguments + ["--db", setup.db]))
            }

            let token = projects[0].token
            for result in results { #expect(!result.output.contains(token.dropFirst(2).prefix(14))) }
            let stored: [String] = try setup.fixture.database.column(
                "SELECT coalesce(message, '') FROM attempts UNION ALL SELECT coalesce(error, '') FROM tasks")
            #expect(stored.allSatisfy { !$0.contains(token.dropFirst(2).prefix(14)) })
            #expect(results[1].stdout.contains("PT…\(token.suffix(4))"))
        }
    }

    @Test(arguments: ["PTb501fb7ba1fe495d4db3:5cc5bac2dcc8", "tok.en~with%2Fpunct+u/a=tion", "short:1"])
    func aTokenOfAnyShapeEchoedByTheServerLeavesNoPieceOfItself(token: String) async throws {
        try await HostileServer().run { apiBase in
            let projects = TestProject.make(1, spaces: 1).map {
                var project = $0
                (project.space, project.token) = ("echo", token)
                return project
            }
            let setup = try Workspace(projects)

            var results = [
                await InProcessFleet().run([
                    "rollout", setup.template, "--db", setup.db, "--api-base", apiBase, "--quiet", "--force",
                    "--yes",
                ])
            ]
            for arguments in [
                ["status"], ["status", "--json"], ["status", "--csv"], ["history", projects[0].projectID],
            ] {
                results.append(await InProcessFleet().run(arguments + ["--db", setup.db]))
            }

            let stored: [String] = try setup.fixture.database.column(
                """
                SELECT coalesce(message, '') FROM attempts UNION ALL SELECT coalesce(error, '') FROM tasks UNION ALL SELECT profile FROM snapshots
                """)
            let width = min(12, token.count)
            let windows = (0...(token.count - width)).map { String(token.dropFirst($0).prefix(width)) }
            for text in results.map(\.output) + stored {
                #expect(!windows.contains { text.contains($0) }, "\(text)")
            }
        }
    }

    @Test(arguments: ["emptyobject", "nocodecs"])
    func aProfileThatCouldNotBeRestoredIsNeverWrittenOver(space: String) async throws {
        try await HostileServer().run { apiBase in
            let setup = try Workspace(
                TestProject.make(1, spaces: 1).map {
                    var project = $0
                    project.space = space
                    return project
                })

            let result = await InProcessFleet().run([
                "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase, "--quiet",
            ])

            #expect(result.status == 1)
            #expect(try setup.fixture.database.column("SELECT method FROM attempts") == ["GET"])
            #expect(try setup.fixture.database.scalar("SELECT error_kind FROM tasks") == "protocol")
            #expect(try setup.fixture.database.scalar("SELECT count(*) FROM snapshots") == 0)
            let error: String = try #require(try setup.fixture.database.scalar("SELECT error FROM tasks"))
            #expect(error.hasPrefix("the profile the API answered has no default_"), "\(error)")
        }
    }

    @Test(arguments: [
        (
            ["--api-base", "http://127.0.0.1:99999/{space}"],
            "--api-base http://127.0.0.1:99999/{space} has port 99999, outside 1…65535"
        ),
        (["--timeout", "1e300"], "--timeout must be between 0.01 and 3600 seconds."),
        (["--timeout", "inf"], "--timeout must be between 0.01 and 3600 seconds."),
        (["--timeout", "nan"], "--timeout must be between 0.01 and 3600 seconds."),
        (["--rate", "1e-300"], "--rate must be between 0.01 and 100000 requests per second."),
        (["--rate", "inf"], "--rate must be between 0.01 and 100000 requests per second."),
        (["--concurrency", "0"], "--concurrency must be between 1 and 1024."),
        (
            ["--api-base", "https://evil.com/?{space}"],
            "--api-base https://evil.com/?{space} has a query or a fragment"
        ),
        (["--api-base", "http://{space}@127.0.0.1/"], "--api-base http://{space}@127.0.0.1/ has user-info"),
        (
            ["--api-base", "https://x{space}.example.com/"],
            "--api-base https://x{space}.example.com/ has {space} inside a host label"
        ),
        (
            ["--api-base", "https://example.com/{space}/api"],
            "--api-base https://example.com/{space}/api has {space} outside the host name"
        ),
    ])
    func anOptionOutOfRangeIsAUsageErrorAndRecordsNothing(arguments: [String], message: String) async throws {
        let setup = try Workspace(TestProject.make(2))

        let result = await InProcessFleet().run(
            ["rollout", "--yes", setup.template, "--db", setup.db, "--quiet"] + arguments)

        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM runs") == 0)
    }

    @Test func aFileThatIsNotAFleetDatabaseIsRefusedAndLeftUntouched() async throws {
        // Given another program's SQLite file and a text file
        let directory = try TemporaryDirectory()
        let other = directory.file("other.sqlite")
        let queue = try DatabaseQueue(path: other)
        try await queue.write { db in
            try db.execute(
                sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')")
        }
        try queue.close()
        let text = try directory.write(
            "notes.txt",
            "not a database at all, but long enough to have a header of a hundred bytes or so......................")
        let csv = try directory.write("p.csv", TestProject.csv(TestProject.make(2)))
        let before = try [other, text].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }

        // When every kind of command is pointed at them
        var results: [CommandResult] = []
        for path in [other, text] {
            for arguments in [["status"], ["runs"], ["projects"], ["import", csv], ["retry", "--yes"]] {
                results.append(await InProcessFleet().run(arguments + ["--db", path]))
            }
        }

        // Then each is refused in one sentence and neither file changed a byte
        #expect(results.allSatisfy { $0.status == 64 })
        #expect(
            results[0].stderr
                == "fleet: \(other) is not a fleet database (it has tables fleet does not make: users); fleet left it as it is. Check --db or FLEET_DB.\n"
        )
        #expect(
            results[5].stderr
                == "fleet: \(text) is not a fleet database (it is not even an SQLite file); fleet left it as it is. Check --db or FLEET_DB.\n"
        )
        #expect(try [other, text].map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
        #expect(!FileManager.default.fileExists(atPath: other + "-wal"))
    }

    @Test(.workspace(TestProject.make(2))) func aDatabaseFromANewerFleetIsRefusedAndLeftUntouched() async throws {
        let setup = Workspace.current
        try await setup.fixture.database.writer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('0099_from_the_future')")
        }
        let path = setup.db
        // The WAL checkpointed into the file, so the bytes compared are the whole database
        try await setup.fixture.database.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let status = await InProcessFleet().run(["status", "--db", path])
        let rollout = await InProcessFleet().run(["rollout", "--yes", setup.template, "--db", path, "--quiet"])

        #expect(status.status == 64)
        #expect(
            status.stderr
                == "fleet: \(path) was written by a newer fleet (its schema has migrations this fleet does not know); fleet left it as it is. Use that fleet or a newer one.\n"
        )
        #expect(rollout.status == 64)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aCommandThatOnlyReadsNeverCreatesADatabase() async throws {
        let directory = try TemporaryDirectory()
        var command = InProcessFleet()
        command.environment = ["FLEET_DB": directory.file("fleet.db")]

        for arguments in [["status"], ["runs"], ["projects"], ["rollout", "--yes", "t.json"], ["retry", "--yes"]] {
            let result = await command.run(arguments)
            #expect(result.status == 64 || result.status == 65)
        }

        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [])
        let status = await command.run(["status"])
        #expect(
            status.stderr
                == "fleet: there is no fleet database at \(directory.file("fleet.db")); create one by importing an inventory: `fleet import FILE.csv --db \(directory.file("fleet.db"))`.\n"
        )
    }

    @Test(.workspace(TestProject.make(2))) func aDatabaseOthersCanReadIsNamedWithTheFix() async throws {
        // Given an inventory whose file was made readable by every user
        let setup = Workspace.current
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: setup.db)

        let result = await InProcessFleet().run(["projects", "--db", setup.db])

        #expect(result.status == 0)
        #expect(
            result.stderr
                == "fleet: warning: \(setup.db) holds API tokens and can be read by other users; `chmod 600 \(setup.db)` keeps them private.\n"
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: setup.db)
        #expect(await InProcessFleet().run(["projects", "--db", setup.db]).stderr == "")
    }

    @Test func aFullDiskIsAnIOErrorInOneSentence() async throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write("p.csv", TestProject.csv(TestProject.make(2)))

        let result = await InProcessFleet().run(["import", csv, "--db", "/dev/full"])

        #expect(result.status == 74)
        #expect(
            result.stderr
                == "fleet: cannot open /dev/full: the disk is full. Free some space, then run the command again.\n")
    }

    @Test func aDiskThatFillsMidRunNamesTheRunAndTheRetryThatFinishesIt() async throws {
        // Given a database that can grow by a few pages only: the run starts, its results do not fit
        let projects = TestProject.make(200)
        let fixture = try Fixture(projects: projects)
        let simulator = try fixture.simulator()
        let pages: Int = try #require(try fixture.database.scalar("PRAGMA page_count"))
        try await fixture.database.writer.write { db in try db.execute(sql: "PRAGMA max_page_count = \(pages + 16)") }

        let failure = await #expect(throws: FleetError.self) {
            try await fixture.session(simulator).rollout(
                try Template(name: "t.json", text: secureTemplate), options: testOptions())
        }

        #expect(failure?.status == .ioError)
        #expect(
            failure?.message
                == "cannot record run 1 in \(fixture.database.path): the disk is full. Free some space, then `fleet retry 1 --db \(fixture.database.path)` finishes run 1."
        )
        #expect(try fixture.database.scalar("SELECT count(*) FROM runs") == 1)
    }

    @Test(.workspace(TestProject.make(2))) func controlCharactersInLabelsAndMessagesArePrintedEscaped() async throws {
        // Given a label that would clear the screen, written past the importer (an older inventory)
        let setup = Workspace.current
        let projects = setup.projects
        try await setup.fixture.database.writer.write { db in
            try db.execute(
                sql: "UPDATE projects SET label = ? WHERE project_id = ?",
                arguments: ["Evil\u{1B}[2J\u{7}", projects[0].projectID])
        }
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[0].projectID]
        let simulator = try setup.fixture.simulator(faults)

        let rollout = await InProcessFleet(simulator: simulator).run([
            "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", Fixture.apiBase, "--quiet",
        ])
        let listing = await InProcessFleet().run(["projects", "--db", setup.db])

        for result in [rollout, listing] {
            #expect(!result.output.contains("\u{1B}"))
            #expect(result.output.contains("Evil\\e[2J\\x07"))
        }
    }

    @Test(.workspace(TestProject.make(3))) func aRetryLeavesAProjectDisabledSinceTheRunAloneAndSaysSo() async throws {
        let setup = Workspace.current
        let projects = setup.projects
        var faults = SimulatorConfiguration()
        faults.revoked = Set(projects.map(\.projectID))
        let simulator = try setup.fixture.simulator(faults)
        let command = InProcessFleet(simulator: simulator)
        let base = ["--db", setup.db, "--api-base", Fixture.apiBase, "--quiet"]
        #expect(await command.run(["rollout", "--yes", setup.template] + base).status == 1)

        // When one project is disabled, the tokens fixed, and the run retried
        let csv = try setup.fixture.directory.write(
            "off.csv",
            "space,project_id,token,enabled\n\(projects[1].space),\(projects[1].projectID),\(projects[1].token),false\n"
        )
        #expect(await command.run(["import", csv, "--db", setup.db]).status == 0)
        simulator.setRevoked([])
        let requestsBefore = simulator.requests(project: projects[1].projectID, method: "GET")
        let retry = await command.run(["retry", "--yes"] + base)

        // Then it was not touched, and the operator was told
        #expect(
            retry.stderr.contains(
                "fleet: skipping 1 project disabled since the run: \(projects[1].space) \(projects[1].projectID) \(projects[1].label)"
            ))
        #expect(simulator.requests(project: projects[1].projectID, method: "GET") == requestsBefore)
        #expect(simulator.requests(project: projects[0].projectID, method: "PUT") == 1)
    }

    @Test func aCSVFieldWithANulOrAnEscapeIsARefusedRow() async throws {
        let directory = try TemporaryDirectory()
        let token = "PT0123456789abcdef0123456789abcdef0123456789abcdef"
        let csv = try directory.write(
            "nul.csv",
            "space,project_id,token,label\nacme,\(uuid0),\(token)\u{0}tail,A\nacme,\(uuid1),\(token),B\u{1B}[2J\n")

        let result = await InProcessFleet().run(["import", csv, "--db", directory.file("fleet.db")])

        #expect(result.status == 65)
        #expect(
            result.stderr == """
                \(csv):2: the token field holds a control character (a NUL, a line break or an escape); remove it
                \(csv):3: the label field holds a control character (a NUL, a line break or an escape); remove it
                fleet: \(csv) has 2 bad rows; nothing was imported. Fix them and run `fleet import` again.

                """)
        #expect(!FileManager.default.fileExists(atPath: directory.file("fleet.db")))
    }
}
