import ArgumentParser
import FleetCore
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// The command line meets the habits of people who live in kubectl, terraform and gh.
@Suite struct CommandLineHabitsTests {
    @Test(.workspace(TestProject.make(3)))
    func shortFlagsYesAndQuietWorkOnRolloutPlanAndVerify() async throws {
        let setup = Workspace.current
        let options = ["--db", setup.db, "--api-base", Fixture.apiBase]

        let plan = await setup.fleet.run(["plan", setup.template, "-q"] + options)
        let rollout = await setup.fleet.run(["rollout", setup.template, "-y", "-q"] + options)
        let verify = await setup.fleet.run(["verify", "-q"] + options)

        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(rollout.status == 0, "\(rollout.stderr)")
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM tasks WHERE state = 'succeeded'") == 3)
    }

    @Test(.workspace(TestProject.make(12)))
    func statusStateListsExactlyTheProjectsInThatStateAndTheReportPointsAtIt() async throws {
        // Given a staged run halted after its first wave, one project of which failed
        let setup = Workspace.current
        setup.simulator.setRevoked([setup.projects[0].projectID])
        let run = await setup.fleet.run(["rollout", setup.template, "--waves", "2,100%"] + setup.apply)
        #expect(run.status == 1)
        let pendingIDs: [String] = try setup.fixture.database.column(
            "SELECT p.project_id FROM tasks t JOIN projects p ON p.id = t.project_ref WHERE t.state = 'pending' ORDER BY t.position"
        )
        #expect(pendingIDs.count == 10)

        let pending = await setup.fleet.run(["status", "1", "--state", "pending", "--db", setup.db])
        let failed = await setup.fleet.run(["status", "1", "--state", "failed", "--db", setup.db])
        let json = await setup.fleet.run(["status", "1", "--state", "pending", "--json", "--db", setup.db])

        // Then each lists its projects and no other, and the halted run's report names --state pending
        #expect(pending.status == 1)
        for project in setup.projects {
            #expect(
                pending.stdout.contains(project.projectID) == pendingIDs.contains(project.projectID),
                "\(project.projectID)")
        }
        #expect(pending.stdout.contains("\npending (not started yet):\n"))
        #expect(failed.stdout.contains(setup.projects[0].projectID))
        #expect(!failed.stdout.contains(pendingIDs[0]))
        let projects = try #require(
            (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["projects"]
                as? [[String: Any]])
        #expect(projects.map { $0["project_id"] as? String } == pendingIDs)
        let report = await setup.fleet.run(["status", "1", "--db", setup.db])
        #expect(
            report.stdout.contains("10 pending: `fleet status 1 --state pending --db \(setup.db)` lists them"),
            "\(report.stdout)")
    }

    @Test(.workspace(TestProject.make(8)))
    func aWaveListThatStopsShortSaysInThePreflightThatItAddsTheLastWave() async throws {
        let setup = Workspace.current

        let result = await setup.fleet.run(["rollout", setup.template, "--waves", "2,50%"] + setup.apply)

        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("waves 2,50%,100% (the last, 100%, added)"), "\(result.stderr)")
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM waves") == 3)
    }

    @Test(.workspace(TestProject.make(4)))
    func aBakeWithoutAUnitIsAUsageErrorNotSeconds() async throws {
        let setup = Workspace.current

        let bare = await setup.fleet.run(
            ["rollout", setup.template, "--waves", "2,100%", "--bake", "10"] + setup.apply)
        let seconds = await setup.fleet.run(
            ["rollout", setup.template, "--waves", "2,100%", "--bake", "1s"] + setup.apply)

        #expect(bare.status == 64)
        #expect(bare.stderr.contains("The value '10' is invalid for '--bake <duration>'"), "\(bare.stderr)")
        #expect(seconds.status == 0, "\(seconds.stderr)")
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM runs") == 1)
    }

    @Test func aMisspeltSubcommandGetsDidYouMeanWithTheCorrectedCommandLine() async {
        let typo = await InProcessFleet().run(["rollot", "x.json", "--yes"])
        let help = await InProcessFleet().run(["help", "rollot"])
        let unknown = await InProcessFleet().run(["deploy", "x.json"])
        let unknownHelp = await InProcessFleet().run(["help", "deploy"])

        #expect(typo.status == 64)
        #expect(typo.stderr == "fleet: there is no command rollot; did you mean `fleet rollout x.json --yes`?\n")
        #expect(help.status == 64)
        #expect(help.stderr == "fleet: there is no command rollot; did you mean `fleet help rollout`?\n")
        #expect(unknown.status == 64)
        #expect(unknown.stderr == "fleet: there is no command deploy; `fleet --help` lists the commands.\n")
        #expect(unknownHelp.stderr == "fleet: there is no command deploy; `fleet --help` lists the commands.\n")
    }

    @Test func optionsBeforeTheSubcommandGetTheCommandLineWithThemAfterIt() async {
        let result = await InProcessFleet().run(["--db", "x.db", "import", "f.csv"])

        #expect(result.status == 64)
        #expect(result.stderr == "fleet: options go after the subcommand: `fleet import f.csv --db x.db`\n")
    }

    @Test func anUnknownOptionIsNotGivenAFarFetchedSuggestion() async {
        let result = await InProcessFleet().run(["projects", "--csv"])

        #expect(result.status == 64)
        #expect(!result.stderr.contains("Did you mean '--db'"), "\(result.stderr)")
        #expect(result.stderr.contains("Unknown option '--csv'"))
    }

    @Test(.workspace(TestProject.make(4), csv: { TestProject.csv($0, extraHeader: ",tags", extra: { _ in ",eu" }) }))
    func aSelectionValueThatMatchesNothingIsAUsageErrorWithDidYouMean() async throws {
        let setup = Workspace.current

        let space = await setup.fleet.run(["plan", setup.template, "--space", "spaec1"] + setup.api)
        let tag = await setup.fleet.run(["rollout", setup.template, "--tag", "EU"] + setup.apply)
        let mixed = await setup.fleet.run(
            ["plan", setup.template, "--space", "space0", "--space", "nowhere"] + setup.api)

        #expect(space.status == 64)
        #expect(
            space.stderr.contains("--space spaec1 matches no space in \(setup.db); did you mean space1?"),
            "\(space.stderr)")
        #expect(tag.status == 64)
        #expect(
            tag.stderr.contains("--tag EU matches no project's tag in \(setup.db); did you mean eu?"), "\(tag.stderr)")
        #expect(mixed.status == 64, "a value that matches nothing is refused even beside one that matches")
        #expect(mixed.stderr.contains("--space nowhere matches no space"), "\(mixed.stderr)")
        #expect(setup.simulator.statistics.total == 0)
        #expect(try setup.fixture.database.scalar("SELECT count(*) FROM runs") == 0)
    }

    @Test(.workspace(TestProject.make(40)))
    func anAPIBaseWithTheWrongPathIsOneFailureGroupThatSaysToCheckThePath() async throws {
        let setup = Workspace.current

        let result = await setup.fleet.run([
            "rollout", setup.template, "--db", setup.db, "--api-base", "http://127.0.0.1:9/{space}/api/relay", "-y",
            "-q",
        ])

        #expect(result.status == 1)
        #expect(
            result.stdout.contains(
                "  protocol: HTTP 404: no SIP profile at this URL; check that --api-base ends in /api/relay/rest (40 projects: space0 10, space1 10, space2 10, space3 10)"
            ),
            "\(result.stdout)")
    }
}

/// `--help` as an operator reads it at 80 columns.
@Suite struct HelpTests {
    static let commands: [[String]] = [
        ["import"], ["projects"], ["template", "check"], ["plan"], ["rollout"], ["retry"], ["rollback"], ["status"],
        ["runs"], ["history"], ["verify"], ["simulate"], ["demo"],
    ]

    @Test(arguments: commands)
    func everyHelpExampleIsWholeOnItsLineAtEightyColumns(command: [String]) throws {
        let help = Fleet.helpMessage(for: try #require(Self.type(command)), columns: 80)
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex(of: "Example:"), "\(command) has examples")
        let examples = lines[(start + 1)...].prefix { !$0.isEmpty }

        #expect(!examples.isEmpty)
        for line in examples {
            #expect(line.hasPrefix("  "), "\(command): a wrapped example line: \(line)")
        }
    }

    @Test(arguments: commands)
    func noOptionSaysItsDefaultTwice(command: [String]) throws {
        let help = Fleet.helpMessage(for: try #require(Self.type(command)), columns: 1000)

        for line in help.split(separator: "\n") where line.contains("(default: ") {
            #expect(!line.contains("(default "), "\(command): \(line)")
        }
    }

    static func type(_ command: [String]) -> ParsableCommand.Type? {
        var type: ParsableCommand.Type = Fleet.self
        for name in command {
            guard let next = type.configuration.subcommands.first(where: { $0._commandName == name }) else {
                return nil
            }
            type = next
        }
        return type
    }
}

/// Following a run that executes elsewhere, as `kubectl rollout status -w` does.
@Suite struct StatusWatchTests {
    @Test func statusWatchFollowsARunUntilItEndsAndExitsAsItsReportDoes() async throws {
        // Given a rollout of 30 projects at 2 in flight against a simulator answering in 20 ms
        var faults = SimulatorConfiguration()
        faults.latency = .milliseconds(20)
        let setup = try Workspace(TestProject.make(30), simulator: faults)
        setup.simulator.setRevoked([setup.projects[5].projectID])
        let started = AsyncStream<Void>.makeStream()
        setup.simulator.whenRequests(reach: 4) { started.continuation.finish() }
        let rollout = Task {
            await setup.fleet.run(["rollout", setup.template, "--concurrency", "2", "--rate", "1000"] + setup.apply)
        }

        // When status --watch is started while it runs
        for await _ in started.stream {}
        let watch = await setup.fleet.run(["status", "--watch", "--interval", "0.1s", "--db", setup.db])
        let rolledOut = await rollout.value

        // Then it printed lines as the run went, and the run's final report, with its exit status
        let lines = watch.stderr.split(separator: "\n")
        #expect(lines.count >= 2, "\(watch.stderr)")
        #expect(lines.first?.hasSuffix(", running") == true, "\(watch.stderr)")
        #expect(lines.last == "fleet: run 1: 30 of 30 done (29 succeeded, 0 unchanged, 1 failed), finished")
        #expect(watch.stdout.hasPrefix("run 1: rollout of \(setup.template)"))
        #expect(watch.stdout.contains("29 succeeded, 0 unchanged, 1 failed, 0 pending, 0 running"))
        #expect(watch.status == 1 && rolledOut.status == 1)
    }
}
