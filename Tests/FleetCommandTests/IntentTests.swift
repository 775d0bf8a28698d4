import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// A run does exactly what the operator meant: where it goes, what it selects, what it says to
/// do next, and how it fails when the API is not there.
@Suite struct IntentTests {
    /// Every `fleet …` command line in `text`: inside backticks, or after "rerun what did not succeed:" / "details:".
    static func hints(in text: String) -> [String] {
        var hints: [String] = []
        for part in text.components(separatedBy: "`").enumerated()
        where part.offset % 2 == 1 && part.element.hasPrefix("fleet ") {
            hints.append(part.element)
        }
        for line in text.split(separator: "\n") {
            for marker in ["rerun what did not succeed: ", "details: ", "only the tasks never carried to an end: "] {
                if let range = line.range(of: marker) { hints.append(String(line[range.upperBound...])) }
            }
        }
        return hints
    }

    /// Splits a command line as a shell would (single quotes only).
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var started = false
        for character in line {
            if character == "'" {
                quoted.toggle()
                started = true
                continue
            }
            if character == " " && !quoted {
                if started { words.append(current) }
                (current, started) = ("", false)
                continue
            }
            current.append(character)
            started = true
        }
        if started { words.append(current) }
        return words
    }

    static func parses(_ line: String) -> Bool {
        let words = Self.words(line)
        guard words.first == "fleet" else { return false }
        return (try? Fleet.parseAsRoot(Array(words.dropFirst()))) != nil
    }

    @Test(.workspace(TestProject.make(12))) func everyNextStepFleetPrintsWorksWhenPasted() async throws {
        // Given runs that fail, halt, and are interrupted, on a database that is not the default
        let setup = Workspace.current
        let projects = setup.projects
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[0].projectID, projects[5].projectID]
        let simulator = try setup.fixture.simulator(faults)
        let fleet = InProcessFleet(simulator: simulator)
        let base = ["--db", setup.db, "--api-base", Fixture.apiBase, "--quiet"]
        var outputs: [String] = []
        outputs.append((await fleet.run(["rollout", "--yes", setup.template] + base)).output)
        outputs.append(
            (await fleet.run(["rollout", "--yes", setup.template, "--canary", "1", "--force"] + base)).output)
        outputs.append((await fleet.run(["status", "--db", setup.db])).output)
        outputs.append((await fleet.run(["runs", "--db", setup.db])).output)
        var stopped = InProcessFleet(simulator: simulator)
        stopped.stop.request()
        outputs.append((await stopped.run(["rollout", "--yes", setup.template, "--force"] + base)).output)
        outputs.append((await fleet.run(["status", "9", "--db", setup.db])).output)

        // Then every command line it printed parses, with the database after the subcommand
        let hints = outputs.flatMap(Self.hints)
        #expect(hints.count >= 10, "\(hints)")
        for hint in hints {
            #expect(Self.parses(hint), "does not parse: \(hint)")
            #expect(hint.contains("--db \(setup.db)"), "\(hint)")
        }
        #expect(outputs[4].contains("Finish it with `fleet retry 3 --db \(setup.db)`."))
    }

    @Test func everyExampleInEveryHelpParses() {
        func commands(_ command: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
            [command] + command.configuration.subcommands.flatMap(commands)
        }
        var examples = 0
        for command in commands(Fleet.self) {
            // A line ending in a backslash goes on on the next, as in a shell.
            let help = Fleet.helpMessage(for: command, columns: 1000).replacingOccurrences(
                of: #" \\\n *"#, with: " ", options: .regularExpression)
            for line in help.split(separator: "\n") {
                guard let range = line.range(of: "$ fleet ") else { continue }
                let example = "fleet " + line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                let command = example.components(separatedBy: " > ")[0]
                for part in command.components(separatedBy: " && ") {
                    #expect(Self.parses(part), "\(command): \(part)")
                }
                examples += 1
            }
        }
        #expect(examples >= 20)
    }

    @Test(.workspace(TestProject.make(4))) func aRetryUsesTheRunsAPIBaseAndRefusesAnother() async throws {
        // Given a run made against API A, and an environment that points at API B
        let setup = Workspace.current
        let projects = setup.projects
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[0].projectID]
        let a = try setup.fixture.simulator(faults)
        let b = try setup.fixture.simulator()
        var fleet = InProcessFleet()
        fleet.transports = RoutingTransportProvider(["127.0.0.1:8001": a, "127.0.0.1:8002": b])
        let apiA = "http://127.0.0.1:8001/{space}/api/relay/rest"
        let apiB = "http://127.0.0.1:8002/{space}/api/relay/rest"
        #expect(
            await fleet.run(["rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiA, "--quiet"])
                .status == 1)
        a.setRevoked([])

        // When it is retried with FLEET_API_BASE=B, it is refused and B hears nothing
        fleet.environment = ["FLEET_API_BASE": apiB]
        let refused = await fleet.run(["retry", "--yes", "--db", setup.db, "--quiet"])
        #expect(refused.status == 64)
        #expect(
            refused.stderr
                == "fleet: run 1 was made against \(apiA), but --api-base or FLEET_API_BASE says \(apiB); unset it (or give the run's) to go on with run 1.\n"
        )
        #expect(b.statistics.total == 0)

        // And from a fresh shell it goes to A, the run's own
        fleet.environment = [:]
        let retry = await fleet.run(["retry", "--yes", "--db", setup.db, "--quiet"])
        #expect(retry.status == 0, "\(retry.output)")
        #expect(b.statistics.total == 0)
        #expect(a.profile(space: projects[0].space, projectID: projects[0].projectID) == projects[0].secureProfile)
    }

    @Test func addingATagNarrowsTheSelection() async throws {
        let projects = TestProject.make(8)
        let tags = ["prod;eu", "prod", "eu", "prod;eu;beta", "staging", "prod;us", "eu;staging", ""]
        let csv =
            "space,project_id,token,label,tags,send_as\n"
            + zip(projects, tags).map { "\($0.space),\($0.projectID),\($0.token),\($0.label),\($1),+15550001111" }
            .joined(separator: "\n") + "\n"
        let setup = try Workspace(projects, csv: csv)

        let prod = await InProcessFleet().run(["projects", "--tag", "prod", "--db", setup.db])
        let prodEU = await InProcessFleet().run(["projects", "--tag", "prod", "--tag", "eu", "--db", setup.db])
        let dryRun = await InProcessFleet().run([
            "rollout", "--yes", setup.template, "--tag", "eu", "--tag", "prod", "--dry-run", "--db", setup.db,
        ])

        #expect(prod.stdout.hasSuffix("4 projects\n"))
        #expect(prodEU.stdout.hasSuffix("2 projects\n"))
        #expect(dryRun.stdout.contains("renders to a valid body for all 2 selected projects"))
    }

    @Test(.workspace(TestProject.make(6))) func theRunSaysWhatWhereAndHowBeforeItsFirstRequestAndAsksOnATerminal()
        async throws
    {
        let setup = Workspace.current
        let projects = setup.projects
        let simulator = try setup.fixture.simulator()
        var fleet = InProcessFleet(simulator: simulator)
        fleet.answer = "n"
        let arguments = ["rollout", setup.template, "--db", setup.db, "--api-base", Fixture.apiBase, "--quiet"]

        // When the operator says no at the terminal
        let declined = await fleet.run(arguments)
        #expect(declined.status == 1)
        #expect(
            declined.stderr == """
                fleet: rollout of \(setup.template): 6 projects in 4 spaces at \(Fixture.apiBase); concurrency 16, rate ≤ 50/s per space, 5 attempts, timeout 30 s
                Go on? [y/N] fleet: nothing was sent and nothing recorded (not confirmed); add --yes to go on without asking.

                """)
        #expect(simulator.statistics.total == 0)
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM runs") == 0)

        // When they say yes, or pass --yes, it goes on
        fleet.answer = "y"
        #expect(await fleet.run(arguments).status == 0)
        fleet.answer = "n"
        #expect(await fleet.run(arguments + ["--yes", "--force"]).status == 0)
        fleet.answer = nil
        simulator.setRevoked([projects[0].projectID])
        #expect(await fleet.run(arguments + ["--yes", "--force"]).status == 1)
        simulator.setRevoked([])

        // When there is no terminal and no --yes, rollout, retry and rollback refuse (a script
        // says what it means)
        let requests = simulator.statistics.total
        for command in [arguments, ["retry", "3", "--db", setup.db], ["rollback", "1", "--db", setup.db]] {
            let refused = await fleet.run(command)
            #expect(refused.status == 64)
            #expect(
                refused.stderr.hasSuffix(
                    "fleet: nothing was sent and nothing recorded: there is no terminal to confirm on; add --yes to go on without asking.\n"
                ),
                "\(refused.stderr)")
        }
        #expect(simulator.statistics.total == requests)
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM executions") == 3)
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM runs") == 3)
    }

    @Test(.timeLimit(.minutes(1)))
    func anUnreachableAPIHaltsTheRunInSecondsAndARetryFinishesItWhenItIsBack() async throws {
        // Given 300 projects and an API base at a loopback port nothing listens on
        let projects = TestProject.make(300)
        let setup = try Workspace(projects)
        let holder = try ClosedPort()
        let port = holder.port
        let apiBase = "http://127.0.0.1:\(port)/{space}/api/relay/rest"

        let result = await InProcessFleet().run([
            "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase, "--concurrency", "8",
            "--quiet",
        ])

        // Then it halts by the circuit breaker, names the host, and leaves every task pending
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "fleet: run 1 halted by the circuit breaker: 127.0.0.1:\(port) is unreachable: the last 10 requests failed (the connection to 127.0.0.1:\(port) was refused)"
            ),
            "\(result.stderr)")
        #expect(try setup.fixture.database.scalar("SELECT state FROM runs") == "halted")
        #expect(try setup.fixture.database.taskStates(run: 1) == ["pending": 300])
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM tasks WHERE error_kind = 'unreachable'") == 300)
        #expect(
            result.stdout.contains(
                "\nstopped by the circuit breaker (their pending tasks run again with `fleet retry 1"))
        #expect(result.stdout.contains(": 0 failed, 75 pending"), "\(result.stdout)")

        // When the API is back on that port (in this process), the retry finishes the run
        let simulator = try setup.fixture.simulator()
        holder.release()
        var back = InProcessFleet()
        back.transports = RoutingTransportProvider(["127.0.0.1:\(port)": simulator])
        let retry = await back.run(["retry", "--yes", "--db", setup.db, "--rate", "10000", "--quiet"])
        #expect(retry.status == 0, "\(retry.output)")
        #expect(try setup.fixture.database.taskStates(run: 1) == ["succeeded": 300])
    }

    @Test(.workspace(TestProject.make(40, spaces: 2))) func aSpaceWhoseEveryTokenIsRefusedIsStoppedAndTheOthersGoOn()
        async throws
    {
        // Given 40 projects in 2 spaces; every token of space0 is refused
        let setup = Workspace.current
        let projects = setup.projects
        var faults = SimulatorConfiguration()
        faults.revoked = Set(projects.filter { $0.space == "space0" }.map(\.projectID))
        let simulator = try setup.fixture.simulator(faults)

        let result = await InProcessFleet(simulator: simulator).run([
            "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", Fixture.apiBase,
            "--concurrency", "2", "--quiet",
        ])

        #expect(result.status == 1)
        let states: [String: Int] = try setup.fixture.database.taskStates(run: 1)
        #expect(states["succeeded"] == 20)
        #expect(states["failed", default: 0] >= 10 && states["failed", default: 0] < 20)
        #expect(states["pending", default: 0] > 0)
        #expect(
            result.stdout.contains(
                "  space0 (127.0.0.1:9): all 10 projects tried in space0 were refused (401/403); check the tokens: "))
    }

    @Test(.workspace(TestProject.make(40))) func retryPendingFinishesAHaltedRunWithoutTheFailedOnes() async throws {
        // Given a run halted by --max-failures 10% with some projects failed and the rest pending
        let setup = Workspace.current
        let projects = setup.projects
        var faults = SimulatorConfiguration()
        faults.revoked = Set(projects.prefix(5).map(\.projectID))
        let simulator = try setup.fixture.simulator(faults)
        let fleet = InProcessFleet(simulator: simulator)
        let base = ["--db", setup.db, "--api-base", Fixture.apiBase, "--quiet", "--concurrency", "1"]
        let first = await fleet.run(["rollout", "--yes", setup.template, "--max-failures", "10%"] + base)
        #expect(first.status == 1)
        #expect(try setup.fixture.database.taskStates(run: 1) == ["failed": 4, "pending": 36])
        #expect(
            first.stdout.contains("only the tasks never carried to an end: fleet retry 1 --pending --db \(setup.db)"))

        // When only the pending tasks are retried, with the recorded 10% now counting this
        // execution's failures among the 36 it reruns (1 of them will fail: below 10%)
        let retry = await fleet.run(["retry", "--yes", "--pending"] + base)

        // Then every pending task ran, the failed ones were not sent again, and the run finished
        #expect(retry.stderr.contains("retry of run 1 (pending tasks only): 36 projects"))
        #expect(try setup.fixture.database.taskStates(run: 1) == ["failed": 5, "succeeded": 35])
        #expect(projects.prefix(4).allSatisfy { simulator.requests(project: $0.projectID, method: "GET") == 1 })
        #expect(try setup.fixture.database.scalar("SELECT state FROM runs") == "finished")
    }

    @Test(.workspace(TestProject.make(10))) func aRunsDurationIsTheSumOfItsExecutions() async throws {
        let setup = Workspace.current
        let projects = setup.projects
        var faults = SimulatorConfiguration()
        (faults.latency, faults.revoked) = (.milliseconds(100), [projects[0].projectID])
        let time = VirtualTime()
        let simulator = try setup.fixture.simulator(faults, clock: time.clock)
        let fleet = InProcessFleet(simulator: simulator)
        let base = ["--db", setup.db, "--api-base", Fixture.apiBase, "--quiet", "--concurrency", "1"]

        // Given a rollout, an hour of nothing, and a retry
        _ = try await time.run { await fleet.run(["rollout", "--yes", setup.template] + base) }
        try await time.clock.sleep(for: .seconds(3600))
        simulator.setRevoked([])
        _ = try await time.run { await fleet.run(["retry", "--yes"] + base) }

        // Then the run took the time of its two executions, not the hour between them
        let status = await fleet.run(["status", "--json", "--db", setup.db])
        let run = try #require(
            (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["run"]
                as? [String: Any])
        #expect(run["executions"] as? Int == 2)
        #expect(run["duration_s"] as? Double == 2.1, "19 requests of 100 ms, then 2")
        let text = await fleet.run(["status", "--db", setup.db])
        #expect(text.stdout.contains("took 2.1 s over 2 executions"))
    }

    @Test(arguments: [
        (
            "enabeld",
            "column \"enabeld\" looks like a misspelt enabled; did you mean enabled? (a template variable cannot be named that close to one of fleet's columns)"
        ),
        (
            "lable",
            "column \"lable\" looks like a misspelt label; did you mean label? (a template variable cannot be named that close to one of fleet's columns)"
        ),
        (
            "project-id",
            "column \"project-id\" looks like a misspelt project_id; did you mean project_id? (a template variable cannot be named that close to one of fleet's columns)"
        ),
    ])
    func aMisspeltColumnIsRefusedWithDidYouMean(column: String, reason: String) async throws {
        let directory = try TemporaryDirectory()
        let header = [
            "space", column == "project-id" ? "project-id" : "project_id", "token",
            column == "project-id" ? "label" : column,
        ].joined(separator: ",")
        let csv = try directory.write("typo.csv", header + "\nacme,\(uuid0),PTabc0123456789,false\n")

        let result = await InProcessFleet().run(["import", csv, "--db", directory.file("fleet.db")])

        #expect(result.status == 65)
        #expect(
            result.stderr
                == "\(csv):1: \(reason)\nfleet: \(csv) has 1 bad row; nothing was imported. Fix it and run `fleet import` again.\n"
        )
    }

    @Test func aPlaceholderMistakeIsOneLineWithItsCountAndTheClosestColumn() async throws {
        let setup = try Workspace(TestProject.make(40), template: #"{"default_send_as": "{{sendas}}"}"#)

        let result = await InProcessFleet().run(["rollout", "--yes", setup.template, "--db", setup.db, "--quiet"])

        #expect(result.status == 65)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(
            lines.first?.hasPrefix(
                "\(setup.template): placeholder {{sendas}} has no value; did you mean {{send_as}}? (or add a sendas column to the inventory) (40 of 40 projects: "
            ) == true)
        #expect(
            lines.last
                == "fleet: \(setup.template) cannot be rendered for 40 of 40 selected projects; nothing was sent. Fix the template or the inventory and try again."
        )
    }
}

/// A loopback port that refuses connections: bound, so no one else takes it, but not listening.
final class ClosedPort {
    private var fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw FleetError.internal("cannot bind a loopback port") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Frees the port for a server to take.
    func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}
