import FleetModel
import Foundation

/// Builds a transport for the length of a body and tears it down after.
package protocol TransportProvider: Sendable {
    func withTransport<T: Sendable>(_ options: TransportOptions, _ body: @Sendable (any Transport) async throws -> T)
        async throws -> T
    /// How long answers gather before the recorder commits them together (see `RunRecorder`):
    /// over a network they arrive a few at a time, and one commit for many costs far less CPU
    /// than one each. An in-process transport answers at once: nothing to wait for.
    var commitWindow: Duration { get }
}

extension TransportProvider {
    package var commitWindow: Duration { .zero }
}
