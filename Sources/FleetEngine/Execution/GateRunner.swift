import FleetModel
import Foundation
import Synchronization

/// Runs `--gate` after a wave: the operator's own check (call quality, alarms) decides whether
/// the rollout goes on.
package protocol GateRunner: Sendable {
    func run(_ command: String, environment: [String: String], timeout: Duration) async -> GateResult
    /// Refuses a command that cannot run (its program is missing): checked before a run's first
    /// request, not after its first wave.
    func check(_ command: String) throws
}

extension GateRunner {
    package func check(_ command: String) throws {}
}
