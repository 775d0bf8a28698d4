import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// The change window (`--not-before`, `--not-after`) on virtual time, and `--notify`'s events.
@Suite struct ChangeRecordTests {
    let template = try! Template(name: "secure.json", text: secureTemplate)

    /// A gate that passes its first `passes` calls and fails after.
    final class CountingGate: GateRunner, Sendable {
        let passes: Int
        let calls = Mutex(0)
        /// `FLEET_CHANGE` as each call saw it.
        let changes = Mutex<[String?]>([])
        init(passes: Int) { self.passes = passes }
        func run(_ command: String, environment: [String: String], timeout: Duration) async -> GateResult {
            changes.withLock { $0.append(environment["FLEET_CHANGE"]) }
            let call = calls.withLock {
                $0 += 1
                return $0
            }
            return GateResult(status: call <= passes ? 0 : 1, lastLine: call <= passes ? "" : "calls dropped")
        }
    }

    static func session(
        _ fixture: Fixture, _ simulator: SignalWireSimulator, gate: any GateRunner = ShellGate(output: { _ in }),
        notes: Notes = Notes(), notifyTimeout: Duration = .seconds(30)
    ) throws -> FleetSession {
        FleetSession(
            database: fixture.database, apiBase: try APIBase(Fixture.apiBase), vault: TokenVault(keyBytes: nil),
            transports: SimulatorTransportProvider(simulator: simulator), clock: simulator.clock, gate: gate,
            note: { line in notes.lines.withLock { $0.append(line) } }, random: { 0.5 }, notifyTimeout: notifyTimeout)
    }

    @Test func aWindowThatClosesMidRunHaltsItWithPendingTasksAndARetryFinishes() async throws {
        // Given 40 projects at 1 request a second per space (4 spaces: about 20 s of work)
        let projects = TestProject.make(40)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        let simulator = try fixture.simulator(clock: time.clock)
        let session = try Self.session(fixture, simulator)
        let options = testOptions { $0.rate = 1 }

        // When the window opens in 60 s and closes 10 s later
        let opens = time.clock.date().addingTimeInterval(60)
        var prepared = try session.prepareRollout(template, selection: Selection(), options: options)
        prepared.change = ChangeRecord(change: "CHG-7", notBefore: opens, notAfter: opens.addingTimeInterval(10))
        let first = try await time.run { [prepared] in try await session.execute(prepared) }

        // Then nothing was sent before it opened, nothing started after it closed, and the run halted
        let arrivals = simulator.statistics.arrivals.values.flatMap { $0 }.sorted()
        #expect(arrivals.first.map { $0 >= .seconds(60) } == true)
        #expect(arrivals.last.map { $0 < .seconds(70) } == true)
        #expect(first.end == ExecutionEnd.halted(ChangeRecord.windowClosed(opens.addingTimeInterval(10))))
        let states = try fixture.database.taskStates(run: first.runID)
        #expect((states["pending"] ?? 0) > 0 && (states["succeeded"] ?? 0) > 0, "\(states)")
        #expect(states["failed"] == nil)

        // And a retry in a new window finishes it
        var retry = try #require(try session.prepareRetry(first.runID, options: nil, pendingOnly: false))
        retry.change = ChangeRecord(notAfter: time.clock.date().addingTimeInterval(3600))
        let second = try await time.run { [retry] in try await session.execute(retry) }
        #expect(second.end == .finished)
        #expect(try fixture.database.taskStates(run: first.runID) == ["succeeded": 40])
    }

    @Test func aWindowAlreadyClosedIsRefusedBeforeAnythingIsRecorded() async throws {
        let fixture = try Fixture(projects: TestProject.make(2))
        let simulator = try fixture.simulator()
        let session = try Self.session(fixture, simulator)
        var prepared = try session.prepareRollout(template, selection: Selection(), options: testOptions())
        prepared.change = ChangeRecord(notAfter: Date().addingTimeInterval(-60))

        #expect(throws: FleetError.self) { try session.checkCommands(prepared) }
        await #expect(throws: FleetError.self) { _ = try await session.execute(prepared) }
        #expect(try fixture.database.runSummaries(now: Date()).isEmpty)
        #expect(simulator.statistics.total == 0)
    }

    @Test func notifyGetsExactlyTheEventsOfAStagedRunThatHaltsInOrderWithNoToken() async throws {
        let projects = TestProject.make(8)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        let simulator = try fixture.simulator(clock: time.clock)
        let gate = CountingGate(passes: 1)
        let session = try Self.session(fixture, simulator, gate: gate)
        let log = fixture.directory.file("events.jsonl")
        var prepared = try session.prepareRollout(
            template, selection: Selection(),
            options: testOptions { ($0.waves, $0.gate) = ([.count(2), .count(4), .percent(100)], "true") })
        prepared.change = ChangeRecord(
            change: "CHG-2291", notify: "(cat; echo \"$FLEET_EVENT $FLEET_RUN $FLEET_CHANGE\") >> \(log)")

        let outcome = try await time.run { [prepared] in try await session.execute(prepared) }

        #expect(outcome.end == ExecutionEnd.halted("the gate after wave 2 exited 1: calls dropped"))
        #expect(gate.changes.withLock { $0 } == ["CHG-2291", "CHG-2291"], "the gate knows the change")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        let events = stride(from: 0, to: lines.count, by: 2).map {
            try! JSONSerialization.jsonObject(with: Data(lines[$0].utf8)) as! [String: Any]
        }
        #expect(events.map { $0["event"] as? String } == ["started", "wave", "halted"])
        #expect(events.map { $0["wave"] as? Int } == [Int?.none, 1, nil])
        #expect(events.map { $0["state"] as? String } == ["running", "running", "halted"])
        #expect(events.map { $0["change"] as? String } == ["CHG-2291", "CHG-2291", "CHG-2291"])
        #expect(events.last?["reason"] as? String == "the gate after wave 2 exited 1: calls dropped")
        #expect((events.last?["counts"] as? [String: Int])?["succeeded"] == 4)
        #expect(
            stride(from: 1, to: lines.count, by: 2).map { lines[$0] } as [String] == [
                "started 1 CHG-2291", "wave 1 CHG-2291", "halted 1 CHG-2291",
            ])
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(projects.allSatisfy { !text.contains($0.token) && !text.contains(String($0.token.suffix(12))) })
        #expect(!text.contains("Authorization") && !text.contains("Basic "))
    }

    @Test(arguments: ["exit 3", "sleep 30"])
    func aNotifyThatFailsOrHangsDoesNotChangeTheRunsOutcome(command: String) async throws {
        let projects = TestProject.make(4)
        let fixture = try Fixture(projects: projects)
        let simulator = try fixture.simulator()
        let notes = Notes()
        let session = try Self.session(fixture, simulator, notes: notes, notifyTimeout: .milliseconds(300))
        var prepared = try session.prepareRollout(template, selection: Selection(), options: testOptions())
        prepared.change = ChangeRecord(notify: command)

        let outcome = try await session.execute(prepared)

        #expect(outcome.end == .finished)
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 4])
        let warnings = notes.lines.withLock { $0 }.filter { $0.hasPrefix("fleet: warning: --notify") }
        #expect(warnings.count == 2, "started and finished: \(notes.lines.withLock { $0 })")
        #expect(warnings.allSatisfy { $0.hasSuffix("the run goes on.") })
        let how = command == "exit 3" ? "exited 3" : "took over 0.3 s and was stopped"
        #expect(warnings.first?.contains("--notify for the started event of run 1 \(how)") == true, "\(warnings)")
    }
}

/// The lines a session noted for the operator.
final class Notes: Sendable {
    let lines = Mutex<[String]>([])
}
