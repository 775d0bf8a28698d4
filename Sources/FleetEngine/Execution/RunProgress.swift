import FleetModel
import Foundation
import Synchronization

/// Live counts of an execution, read by the progress line while the executor updates them.
package final class RunProgress: Sendable {
    package struct Counts: Sendable, Equatable {
        package var total = 0
        package var succeeded = 0
        package var unchanged = 0
        package var failed = 0
        package var retrying = 0
        package var requests = 0
        /// Spaces waiting out a throttle (429), and spaces the circuit breaker stopped.
        package var pausedSpaces = 0
        package var stoppedSpaces = 0
        /// Their names, for a line wide enough to show them.
        package var pausedNames: [String] = []
        package var stoppedNames: [String] = []
        /// Requests started; those started and not answered (`requests`) are in flight.
        package var started = 0
        /// The operator asked to stop (Ctrl-C once): nothing new starts.
        package var stopping = false
        /// The wave in progress, of how many (0 when the run is not staged).
        package var wave = 0
        package var waves = 0
        /// While a wave bakes: until when.
        package var bakingUntil: Date?
        /// While the run waits for its change window to open (`--not-before`): until when.
        package var waitingUntil: Date?
        package var gating = false
        package var done: Int { succeeded + unchanged + failed }
        package var inFlight: Int { max(0, started - requests) }

        package init() {}
    }

    private let counts = Mutex(Counts())

    package init(total: Int = 0) {
        counts.withLock { $0.total = total }
    }

    package var snapshot: Counts { counts.withLock { $0 } }

    package func update(_ change: (inout Counts) -> Void) {
        counts.withLock { change(&$0) }
    }
}
