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
        public var done: Int { succeeded + unchanged + failed }
    }

    private let counts = Mutex(Counts())

    public init(total: Int = 0) {
        counts.withLock { $0.total = total }
    }

    public var snapshot: Counts { counts.withLock { $0 } }

    func update(_ change: (inout Counts) -> Void) {
        counts.withLock { change(&$0) }
    }
}
