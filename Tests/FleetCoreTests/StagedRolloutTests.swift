import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// Waves, bake, gate and --rollback-on-halt in the executor, on virtual time: an hour's bake
/// takes no real time.
@Suite struct StagedRolloutTests {
    let template = try! Template(name: "secure.json", text: secureTemplate)

    /// A gate that answers from a script and remembers what it was asked.
    final class ScriptedGate: GateRunner, Sendable {
        let answers: Mutex<[GateResult]>
        let calls = Mutex<[[String: String]]>([])

        init(_ answers: [GateResult]) { self.answers = Mutex(answers) }

        func run(_ command: String, environment: [String: String], timeout: Duration) async -> GateResult {
            calls.withLock { $0.append(environment) }
            return answers.withLock { $0.isEmpty ? GateResult(status: 0, lastLine: "") : $0.removeFirst() }
        }
    }

    @Test func wavesGoOneAfterAnotherWithTheBakeBetweenThemOnVirtualTime() async throws {
        let projects = TestProject.make(40)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        let simulator = try fixture.simulator(clock: time.clock)
        let session = try fixture.session(simulator)

        let outcome = try await time.run {
            try await session.rollout(
                template,
                options: testOptions { ($0.waves, $0.bakeSeconds) = ([.count(4), .percent(50), .percent(100)], 600) })
        }

        // Then three waves of 4, 16 and 20, each after the bake of 10 minutes of virtual time
        #expect(outcome.end == .finished)
        let waves: [Int] = try fixture.database.column("SELECT wave FROM tasks ORDER BY position")
        #expect(
            waves == Array(repeating: 1, count: 4) + Array(repeating: 2, count: 16) + Array(repeating: 3, count: 20))
        let arrivals = (simulator.statistics.arrivals.values.flatMap { $0 }).sorted()
        #expect(arrivals.filter { $0 < .seconds(600) }.count == 8)
        #expect(arrivals.filter { $0 >= .seconds(600) && $0 < .seconds(1200) }.count == 32)
        #expect(arrivals.filter { $0 >= .seconds(1200) }.count == 40)
        #expect(
            try fixture.database.column("SELECT state FROM waves ORDER BY number") == ["passed", "passed", "passed"])
        #expect(time.clock.now() >= .seconds(1200) && time.clock.now() < .seconds(1201))
    }

    @Test func ctrlCDuringTheBakeInterruptsAndARetryBakesOnlyWhatIsLeft() async throws {
        let projects = TestProject.make(20)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        let simulator = try fixture.simulator(clock: time.clock)
        let stop = StopSignal()
        let session = try fixture.session(simulator, stop: stop)
        let options = testOptions { ($0.waves, $0.bakeSeconds) = ([.count(5), .percent(100)], 3600) }

        // When the operator presses Ctrl-C 20 minutes into the hour's bake after wave 1
        let first = try await time.run {
            async let pressed: Void = {
                try? await time.clock.sleep(for: .seconds(1200))
                stop.request()
            }()
            let outcome = try await session.rollout(template, options: options)
            await pressed
            return outcome
        }

        // Then the run is interrupted with wave 2 untouched
        #expect(first.end == .interrupted)
        #expect(try fixture.database.taskStates(run: first.runID) == ["succeeded": 5, "pending": 15])
        #expect(simulator.statistics.total == 10)

        // When it is retried, it bakes the 40 minutes left, not a new hour, then runs wave 2
        let resumed = try await time.run { try await fixture.session(simulator).retry(first.runID) }
        #expect(resumed?.end == .finished)
        #expect(try fixture.database.taskStates(run: first.runID) == ["succeeded": 20])
        let arrivals = (simulator.statistics.arrivals.values.flatMap { $0 }).sorted()
        // (the bake's end is recorded to the millisecond)
        let wave2 = arrivals[10]
        let bakeEnd = arrivals[9] + .seconds(3600)
        #expect(
            wave2 > bakeEnd - .milliseconds(2) && wave2 < bakeEnd + .milliseconds(2),
            "wave 2 starts when the bake that began after wave 1 ends")
    }

    @Test func aWaveWithAFailureHaltsTheRunBeforeTheNextWave() async throws {
        let projects = TestProject.make(30)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[7].projectID]
        let simulator = try fixture.simulator(faults)

        let outcome = try await fixture.session(simulator).rollout(
            template, options: testOptions { $0.waves = [.percent(10), .percent(50), .percent(100)] })

        #expect(outcome.end == .halted("wave 2 of 3: 1 of 12 projects failed"))
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 14, "failed": 1, "pending": 15])
        let later: [String] = try fixture.database.column(
            "SELECT p.project_id FROM tasks t JOIN projects p ON p.id = t.project_ref WHERE t.wave = 3")
        #expect(later.allSatisfy { simulator.requests(project: $0, method: "GET") == 0 })
        #expect(
            try fixture.database.column("SELECT state FROM waves ORDER BY number") == ["passed", "halted", "pending"])
    }

    @Test func aGateThatSaysNoHaltsTheRunWithItsReasonAndSeesTheWavesCounts() async throws {
        let projects = TestProject.make(20)
        let fixture = try Fixture(projects: projects)
        let simulator = try fixture.simulator()
        let gate = ScriptedGate([
            GateResult(status: 0, lastLine: "calls ok"), GateResult(status: 3, lastLine: "MOS dropped to 3.1 in acme"),
        ])

        let outcome = try await fixture.session(simulator, gate: gate).rollout(
            template,
            options: testOptions { ($0.waves, $0.gate) = ([.count(2), .count(6), .percent(100)], "check-calls") })

        #expect(outcome.end == .halted("the gate after wave 2 exited 3: MOS dropped to 3.1 in acme"))
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 6, "pending": 14])
        let calls = gate.calls.withLock { $0 }
        #expect(calls.count == 2)
        #expect(calls.last?["FLEET_WAVE"] == "2")
        #expect(calls.last?["FLEET_RUN"] == "\(outcome.runID)")
        #expect(calls.last?["FLEET_WAVE_SUCCEEDED"] == "4")
        #expect(calls.last?["FLEET_DB"] == fixture.database.path)
        let wave: [String] = try fixture.database.column(
            "SELECT state || ' ' || gate_status || ' ' || gate_output FROM waves WHERE number = 2")
        #expect(wave == ["halted 3 MOS dropped to 3.1 in acme"])
    }

    @Test func rollbackOnHaltPutsBackEveryProfileTheRunChanged() async throws {
        let projects = TestProject.make(24)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[12].projectID]
        let simulator = try fixture.simulator(faults)
        let originals = projects.map { simulator.profile(space: $0.space, projectID: $0.projectID) }

        let outcome = try await fixture.session(simulator).rollout(
            template,
            options: testOptions { ($0.waves, $0.rollbackOnHalt) = ([.count(4), .count(16), .percent(100)], true) })

        #expect(outcome.end == .halted("wave 2 of 3: 1 of 12 projects failed"))
        #expect(outcome.rollback?.end == .finished)
        #expect(projects.map { simulator.profile(space: $0.space, projectID: $0.projectID) } == originals)
        let rollback = try fixture.database.requireRun(outcome.rollback?.runID)
        #expect(rollback.rollbackOf == outcome.runID)
        #expect(try fixture.database.taskStates(run: rollback.id) == ["succeeded": 15])
    }
}
