import Foundation

/// Time as fleet sees it, injected so that retry, backoff, rate and bake tests run on virtual
/// time, without sleeping. Every timestamp fleet records comes from `date()`, every duration and
/// deadline from `now()`.
package protocol FleetClock: Sendable {
    /// Monotonic time since some fixed start.
    func now() -> Duration
    /// The wall-clock time, for the timestamps that are recorded and shown.
    func date() -> Date
    func sleep(for duration: Duration) async throws
    /// Runs `work`, which waits for something outside Swift's tasks (a write on the database's
    /// own queue): a virtual clock must not move on while it does, a real one has nothing to do.
    func waitingOutside<T: Sendable>(_ work: () async throws -> T) async throws -> T
}

extension FleetClock {
    package func waitingOutside<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        try await work()
    }
}
