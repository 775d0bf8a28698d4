import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// `fleet import` and `fleet projects`, in-process.
@Suite struct ImportCommandTests {
    static let header = "space,project_id,token,label,send_as"
    static let good = TestProject.make(3, spaces: 2)

    /// A directory with a database holding `good`, and the database's bytes.
    func seeded() async throws -> (TemporaryDirectory, Data) {
        let directory = try TemporaryDirectory()
        let csv = try directory.write("good.csv", TestProject.csv(Self.good))
        let result = await InProcessFleet().run(["import", csv, "--db", directory.file("fleet.db")])
        #expect(result.status == 0, "\(result.stderr)")
        return (directory, try Data(contentsOf: URL(fileURLWithPath: directory.file("fleet.db"))))
    }

    static let token = "PT0123456789abcdef0123456789abcdef0123456789abcdef"

    static let badFiles: [(name: String, csv: String, line: Int, reason: String)] = [
        (
            "bad uuid", "\(header)\nacme,not-a-uuid,\(token),A,\n", 2,
            "project_id \"not-a-uuid\" is not a UUID (like 4f1c2a8e-9b7d-4c3e-a1f0-2d5e6b7c8a90)"
        ),
        (
            "dotted space", "\(header)\nacme,\(uuid0),\(token),A,\nevil.com,\(uuid1),\(token),B,\n", 3,
            "space \"evil.com\" is not a space name: use letters, digits and inner hyphens only (the part before .signalwire.com)"
        ),
        (
            "slash space", "\(header)\na/b,\(uuid0),\(token),A,\n", 2,
            "space \"a/b\" is not a space name: use letters, digits and inner hyphens only (the part before .signalwire.com)"
        ),
        (
            "leading hyphen", "\(header)\n-x,\(uuid0),\(token),A,\n", 2,
            "space \"-x\" is not a space name: use letters, digits and inner hyphens only (the part before .signalwire.com)"
        ),
        (
            "64-character label", "\(header)\n\(String(repeating: "a", count: 64)),\(uuid0),\(token),A,\n", 2,
            "space \"\(String(repeating: "a", count: 64))\" is 64 characters; a space name is at most 63"
        ),
        ("empty token", "\(header)\nacme,\(uuid0),,A,\n", 2, "the token is empty; every project needs its API token"),
        (
            "duplicate key",
            "\(header)\nacme,\(uuid0),\(token),A,\nother,\(uuid1),\(token),B,\nACME,\(uuid0.uppercased()),\(token),C,\n",
            4,
            "duplicate of line 2: project \(uuid0) in space acme appears twice"
        ),
        (
            "missing column", "space,project_id,label\nacme,\(uuid0),A\n", 1,
            "missing required column \"token\"; the header must have space, project_id and token"
        ),
        (
            "ragged row", "\(header)\nacme,\(uuid0),\(token),A,\nacme,\(uuid1),\(token)\n", 3,
            "the row has 3 fields but the header has 5; quote fields that contain commas"
        ),
        (
            "unterminated quote", "\(header)\nacme,\(uuid0),\(token),A,\nacme,\(uuid1),\(token),\"B,\n", 3,
            "unterminated quoted field (a \" opened here is never closed)"
        ),
    ]

    @Test(arguments: badFiles.indices)
    func aBadRowImportsNothingAndNamesItsLine(_ index: Int) async throws {
        // Given an inventory and a file with one bad row
        let bad = Self.badFiles[index]
        let (directory, before) = try await seeded()
        let csv = try directory.write("bad.csv", bad.csv)

        // When it is imported
        let result = await InProcessFleet().run(["import", csv, "--db", directory.file("fleet.db")])

        // Then: exit 65, the line and the reason, a closing sentence, and the database untouched
        #expect(result.status == 65, "\(bad.name)")
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr == """
                \(csv):\(bad.line): \(bad.reason)
                fleet: \(csv) has 1 bad row; nothing was imported. Fix it and run `fleet import` again.

                """, "\(bad.name)")
        let after = try Data(contentsOf: URL(fileURLWithPath: directory.file("fleet.db")))
        #expect(after == before, "\(bad.name): the database file changed")
        #expect(!result.output.contains(Self.token))
    }

    @Test func everyBadRowIsListedAtOnce() async throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(
            "bad.csv",
            "\(Self.header)\nacme,\(uuid0),\(Self.token),A,\nbad space,\(uuid1),\(Self.token),B,\nacme,nope,,C,\n")

        let result = await InProcessFleet().run(["import", csv, "--db", directory.file("fleet.db")])

        #expect(result.status == 65)
        #expect(
            result.stderr.split(separator: "\n") == [
                "\(csv):3: space \"bad space\" is not a space name: use letters, digits and inner hyphens only (the part before .signalwire.com)",
                "\(csv):4: project_id \"nope\" is not a UUID (like 4f1c2a8e-9b7d-4c3e-a1f0-2d5e6b7c8a90); the token is empty; every project needs its API token",
                "fleet: \(csv) has 2 bad rows; nothing was imported. Fix them and run `fleet import` again.",
            ])
        #expect(
            !FileManager.default.fileExists(atPath: directory.file("fleet.db")),
            "a failed first import must not create the database")
    }

    @Test func aBOMAndCRLFFileImportsAndTheDatabaseIsPrivate() async throws {
        // Given a UTF-8 file with a BOM, CRLF line ends and a quoted label with a comma and a quote
        let directory = try TemporaryDirectory()
        let text =
            "space,project_id,token,label,tags,enabled,send_as\r\nAcme,\(uuid0.uppercased()),\(Self.token),\"Acme, \"\"HQ\"\"\",prod; eu,true,+15550001111\r\nacme,\(uuid1),\(Self.token)x,Lab,,false,\r\n"
        let csv = try directory.write("bom.csv", Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8))

        // When it is imported
        let result = await InProcessFleet().run(["import", csv, "--db", directory.file("fleet.db")])

        // Then it is all there, as written, and the file is mode 0600
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout == "imported 2 projects in 1 space: 2 new, 0 token changed, 0 other changed, 0 identical\n")
        let projects = try FleetDatabase(path: directory.file("fleet.db")).projects(Selection(includeDisabled: true))
        #expect(projects.map(\.projectID) == [uuid1, uuid0].sorted())
        let hq = try #require(projects.first { $0.projectID == uuid0 })
        #expect(hq.space == "acme")
        #expect(hq.label == "Acme, \"HQ\"")
        #expect(hq.tags == ["prod", "eu"])
        #expect(hq.variables == ["send_as": "+15550001111"])
        #expect(hq.storedToken == Self.token)
        #expect(projects.first { $0.projectID == uuid1 }?.enabled == false)
        let mode =
            try FileManager.default.attributesOfItem(atPath: directory.file("fleet.db"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func reimportingARotatedTokenUpdatesIt() async throws {
        // Given an imported inventory
        let (directory, _) = try await seeded()
        var rotated = Self.good[1]
        rotated.token = "PTrotated0000000000000000000000000000000000000000000"

        // When one project is imported again with a new token and no label column
        let csv = try directory.write(
            "rotated.csv", "space,project_id,token\n\(rotated.space),\(rotated.projectID),\(rotated.token)\n")
        let result = await InProcessFleet().run(["import", csv, "--db", directory.file("fleet.db")])

        // Then that token changed, its label and variables stayed, and nothing else moved
        #expect(
            result.stdout == "imported 1 project in 1 space: 0 new, 1 token changed, 0 other changed, 0 identical\n")
        let projects = try FleetDatabase(path: directory.file("fleet.db")).projects(Selection(includeDisabled: true))
        #expect(projects.count == 3)
        let updated = try #require(projects.first { $0.projectID == rotated.projectID })
        #expect(updated.storedToken == rotated.token)
        #expect(updated.label == rotated.label)
        #expect(updated.variables == ["send_as": "+15550001111"])
        #expect(
            projects.filter { $0.projectID != rotated.projectID }.map(\.storedToken).sorted()
                == [Self.good[0].token, Self.good[2].token].sorted())
    }

    @Test func noCommandOfTheInventoryPrintsAToken() async throws {
        // Given known tokens, in plain and sealed storage
        let directory = try TemporaryDirectory()
        let projects = TestProject.make(6, spaces: 2)
        let csv = try directory.write(
            "p.csv",
            "space,project_id,token,label,tags\n"
                + projects.map { "\($0.space),\($0.projectID),\($0.token),\($0.label),prod" }.joined(separator: "\n")
                + "\n")
        let ragged = try directory.write(
            "ragged.csv",
            "space,project_id,token\n\(projects[0].space),\(projects[0].projectID),\(projects[0].token),extra\n")
        let sealedDB = directory.file("sealed.db")
        let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let db = directory.file("fleet.db")

        // When every command of the inventory runs, succeeding and failing
        var results: [CommandResult] = []
        for arguments in [
            ["import", csv, "--db", db], ["import", csv, "--db", db], ["import", ragged, "--db", db],
            ["projects", "--db", db], ["projects", "--json", "--db", db],
            ["projects", "--space", "space1", "--db", db],
            ["projects", "--tag", "prod", "--json", "--db", db],
            ["projects", "--db", db, "--api-base", "http://evil.example/{space}"],
            ["import", directory.file("missing.csv"), "--db", db],
        ] {
            results.append(await InProcessFleet().run(arguments))
        }
        var sealing = InProcessFleet()
        sealing.environment = ["FLEET_KEY": key]
        results.append(await sealing.run(["import", csv, "--db", sealedDB]))
        results.append(await sealing.run(["projects", "--json", "--db", sealedDB]))
        results.append(await InProcessFleet().run(["projects", "--db", sealedDB]))

        // Then no token appears anywhere, masks do, and the failures failed
        for result in results {
            for project in projects { #expect(!result.output.contains(project.token)) }
        }
        #expect(results.map(\.status) == [0, 0, 65, 0, 0, 0, 0, 64, 65, 0, 0, 0])
        #expect(results[3].stdout.contains(Credentials.mask(projects[0].token)))
        #expect(results[10].stdout.contains(Credentials.mask(projects[0].token)))
        #expect(results[11].stdout.contains("(sealed)"))
        let sealedBytes = try Data(contentsOf: URL(fileURLWithPath: sealedDB))
        #expect(sealedBytes.range(of: Data(projects[0].token.utf8)) == nil, "a sealed token is stored in the clear")
    }

    @Test func aDatabaseHoldsTokensSealedWithOneKeyOrPlainNeverAMix() async throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write("p.csv", TestProject.csv(TestProject.make(3)))
        let other = try directory.write("q.csv", TestProject.csv(TestProject.make(2, salt: "q")))
        let (sealed, plain) = (directory.file("sealed.db"), directory.file("plain.db"))
        var keyA = InProcessFleet()
        var keyB = InProcessFleet()
        keyA.environment = ["FLEET_KEY": Data(repeating: 1, count: 32).base64EncodedString()]
        keyB.environment = ["FLEET_KEY": Data(repeating: 2, count: 32).base64EncodedString()]
        #expect(await keyA.run(["import", csv, "--db", sealed]).status == 0)
        #expect(await InProcessFleet().run(["import", csv, "--db", plain]).status == 0)

        let wrongKey = await keyB.run(["import", other, "--db", sealed])
        let plainIntoSealed = await InProcessFleet().run(["import", other, "--db", sealed])
        let sealedIntoPlain = await keyA.run(["import", other, "--db", plain])
        let sameKey = await keyA.run(["import", other, "--db", sealed])

        #expect(wrongKey.status == 64)
        #expect(
            wrongKey.stderr.hasPrefix(
                "fleet: this FLEET_KEY does not open the tokens \(sealed) holds (they were sealed with another key); nothing was imported."
            ))
        #expect(plainIntoSealed.status == 64)
        #expect(
            plainIntoSealed.stderr.hasPrefix(
                "fleet: \(sealed) holds tokens sealed with a FLEET_KEY; set that key to import"))
        #expect(sealedIntoPlain.status == 64)
        #expect(
            sealedIntoPlain.stderr.hasPrefix(
                "fleet: \(plain) holds 3 unsealed tokens; a FLEET_KEY import would mix sealed and unsealed ones"))
        for refused in [wrongKey, plainIntoSealed, sealedIntoPlain] {
            #expect(
                refused.stderr.contains(
                    "import the inventory CSV into a new database (`fleet import FILE.csv --db NEW.db`)"))
        }
        #expect(sameKey.status == 0)
        #expect(
            try FleetDatabase(path: sealed, access: .read).scalar(
                "SELECT count(*) FROM projects WHERE token NOT LIKE 'aesgcm:%'") == 0)
        #expect(try FleetDatabase(path: plain, access: .read).scalar("SELECT count(*) FROM projects") == 3)
    }

    @Test func projectsListsAsJSONWithFilters() async throws {
        let (directory, _) = try await seeded()

        let result = await InProcessFleet().run([
            "projects", "--json", "--space", "space1", "--db", directory.file("fleet.db"),
        ])

        #expect(result.status == 0)
        let entries = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        #expect(entries?.count == 1)
        #expect(entries?.first?["project_id"] as? String == Self.good[1].projectID)
        #expect(entries?.first?["token"] as? String == Credentials.mask(Self.good[1].token))
    }
}

let uuid0 = "11111111-2222-4333-8444-555555555555"
let uuid1 = "66666666-7777-4888-9999-aaaaaaaaaaaa"
