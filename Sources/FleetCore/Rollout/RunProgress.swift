import Foundation
import Synchronization

/// Live counts of an execution, read by the progress line while the executor updates them.
public final class RunProgress: Sendable {
    public struct Counts: Sendable, Equatable {
        public var total = 0
        public var succeeded = 0
        public var unchanged = 0
        public var failed = 0
        public var retrying = 0
        public var requests = 0
        /// Spaces waiting out a throttle (429), and spaces the circuit breaker stopped.
        public var pausedSpaces = 0
        public var stoppedSpaces = 0
        /// The wave in progress, of how many (0 when the run is not staged).
        public var wave = 0
        public var waves = 0
        /// While a wave bakes: until when.
        public var bakingUntil: Date?
        public var gating = false
        public var done: Int { succeeded + unchanged + failed }
    }

    private let counts = Mutex(Counts())

    public init(total: Int = 0) {
        counts.withLock { $0.total = total }
    }

    public var snapshot: Counts { counts.withLock { $0 } }

    public func update(_ change: (inout Counts) -> Void) {
        counts.withLock { change(&$0) }
    }
}
