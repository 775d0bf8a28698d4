import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// Runs fleet's commands in this process, as typed, with their output captured: a console that
/// is not a terminal, an environment of its own, and the transport, clock and stop signal given.
struct InProcessFleet: Sendable {
    var environment: [String: String] = [:]
    var transports: any TransportProvider = HTTPTransportProvider()
    var clock: any FleetClock = SystemClock()
    var stop = StopSignal()
    /// The answer typed at a confirmation; nil for a console that is not interactive.
    var answer: String?
    var who = Operator(user: "ops", host: "bastion")

    /// Commands straight into `simulator`, on its clock.
    init(simulator: SignalWireSimulator) {
        transports = SimulatorTransportProvider(simulator: simulator)
        clock = simulator.clock
    }

    init() {}

    func run(_ arguments: [String]) async -> CommandResult {
        let output = CapturedOutput()
        let context = CommandContext(
            console: output.console(interactive: answer != nil, answer: { [answer] in answer }),
            environment: environment,
            clock: clock, stop: stop, transports: transports, random: { 0.5 }, who: who,
            handlesSignals: false)
        let status = await CommandRunner.run(arguments, in: context)
        return CommandResult(status: status, stdout: output.stdout, stderr: output.stderr)
    }
}

extension Workspace {
    /// fleet's commands in this process, straight into the workspace's simulator.
    var fleet: InProcessFleet { InProcessFleet(simulator: simulator) }

    /// Run 1 rolls out with `project`'s token refused (exit 1), a retry with it accepted finishes
    /// it, and run 2 rolls it back.
    func rolloutRetriedAndRolledBack(failing project: TestProject) async {
        simulator.setRevoked([project.projectID])
        #expect(await fleet.run(["rollout", "--yes", template] + api).status == 1)
        simulator.setRevoked([])
        #expect(await fleet.run(["retry", "--yes"] + api).status == 0)
        #expect(await fleet.run(["rollback", "--yes", "1"] + api).status == 0)
    }
}
