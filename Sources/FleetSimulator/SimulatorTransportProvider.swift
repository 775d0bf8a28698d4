import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// Gives every execution a `SimulatorTransport` into the same simulator.
package struct SimulatorTransportProvider: TransportProvider {
    package let simulator: SignalWireSimulator

    package init(simulator: SignalWireSimulator) {
        self.simulator = simulator
    }

    package func withTransport<T: Sendable>(
        _ options: TransportOptions, _ body: @Sendable (any Transport) async throws -> T
    ) async throws -> T {
        try await body(SimulatorTransport(simulator: simulator))
    }
}
