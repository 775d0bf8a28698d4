import FleetCore
import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// Who ran each execution, under which change and why: recorded on the run, shown in `runs`,
/// `status`, `status --json` and `history`.
@Suite struct ChangeRecordCommandTests {
    static let projects = TestProject.make(3)

    @Test(.workspace(projects))
    func theChangeReasonAndOperatorOfEveryExecutionAreInTheJSON() async throws {
        let setup = Workspace.current
        setup.simulator.setRevoked([Self.projects[0].projectID])
        let rollout = await setup.fleet.run(
            ["rollout", setup.template, "--change", "CHG-2291", "--reason", "encrypted SRTP for all"] + setup.apply)
        setup.simulator.setRevoked([])
        var other = setup.fleet
        other.environment["FLEET_CHANGE"] = "CHG-2300"
        other.who = Operator(user: "alice", host: "jump-2")
        let retry = await other.run(["retry", "--reason", "token fixed"] + setup.apply)

        let status = await setup.fleet.run(["status", "--json", "--db", setup.db])
        let text = await setup.fleet.run(["status", "--db", setup.db])
        let runs = await setup.fleet.run(["runs", "--db", setup.db])
        let history = await setup.fleet.run(["history", "Project 0", "--db", setup.db])

        #expect(rollout.status == 1 && retry.status == 0, "\(rollout.output)\(retry.output)")
        #expect(rollout.stderr.contains("timeout 30 s; change CHG-2291\n"), "\(rollout.stderr)")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let run = try #require(body["run"] as? [String: Any])
        #expect(run["change"] as? String == "CHG-2291")
        #expect(run["reason"] as? String == "encrypted SRTP for all")
        #expect(run["executions"] as? Int == 2)
        let operators = try #require(run["operators"] as? [[String: Any]])
        #expect(operators.map { $0["execution"] as? Int } == [1, 2])
        #expect(operators.map { $0["user"] as? String } == ["ops", "alice"])
        #expect(operators.map { $0["host"] as? String } == ["bastion", "jump-2"])
        #expect(operators.map { $0["change"] as? String } == ["CHG-2291", "CHG-2300"])
        #expect(operators.map { $0["reason"] as? String } == ["encrypted SRTP for all", "token fixed"])
        #expect(operators.allSatisfy { $0["started_at"] is String && $0["finished_at"] is String })
        #expect(text.stdout.contains("\nchange CHG-2291: encrypted SRTP for all\nrun by ops@bastion, alice@jump-2\n"))
        #expect(runs.stdout.contains(" CHANGE\n") && runs.stdout.hasSuffix(" CHG-2291\n"), "\(runs.stdout)")
        #expect(history.stdout.contains("\n  change CHG-2291: encrypted SRTP for all\n"))
    }

    @Test(.workspace(projects))
    func aBadChangeAMissingNotifyProgramOrAClosedWindowIsRefusedBeforeAnythingIsRecorded() async throws {
        let setup = Workspace.current
        let long = await setup.fleet.run(
            ["rollout", setup.template, "--change", String(repeating: "x", count: 101)] + setup.apply)
        let notify = await setup.fleet.run(["rollout", setup.template, "--notify", "./no-such-hook"] + setup.apply)
        let closed = await setup.fleet.run(
            ["rollout", setup.template, "--not-after", "2020-01-01T00:00:00Z"] + setup.apply)
        let inverted = await setup.fleet.run(
            ["rollout", setup.template, "--not-before", "2031-01-01T10:00Z", "--not-after", "2031-01-01T09:00Z"]
                + setup.apply)
        let garbled = await setup.fleet.run(["rollout", setup.template, "--not-after", "tomorrow"] + setup.apply)

        #expect([long, notify, closed, inverted, garbled].map(\.status) == [64, 64, 64, 64, 64])
        #expect(long.stderr.contains("--change must be a ticket reference of 1 to 100 printable characters"))
        #expect(
            notify.stderr
                == "fleet: the --notify program ./no-such-hook does not exist; nothing was sent. Fix the command and run again.\n"
        )
        #expect(closed.stderr.hasPrefix("fleet: the change window closed at 2020-01-01 "))
        #expect(inverted.stderr.contains("is not before --not-after"))
        #expect(garbled.stderr.contains("--not-after tomorrow is not a time"))
        #expect(try setup.fixture.database.runSummaries(now: Date()).isEmpty)
        #expect(setup.simulator.statistics.total == 0)
    }
}
