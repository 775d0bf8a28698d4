import Synchronization

/// A token bucket per space (GCRA form): `rate` requests a second on average, bursts of at most
/// `burst`. A caller reserves its slot under a lock and then sleeps until it, so concurrent
/// callers never overdraw the bucket.
public final class RateLimiter: Sendable {
    public let rate: Double
    public let burst: Int
    private let clock: any FleetClock
    /// The theoretical arrival time of the next request, per space.
    private let next = Mutex<[String: Duration]>([:])

    /// `burst` defaults to a tenth of a second's worth of requests (at least 1).
    public init(rate: Double, burst: Int? = nil, clock: any FleetClock) {
        self.rate = rate
        self.burst = burst ?? max(1, Int((rate / 10).rounded(.up)))
        self.clock = clock
    }

    public func acquire(space: String) async throws {
        guard rate.isFinite, rate > 0 else { return }
        let interval = Duration.seconds(1 / rate)
        let tolerance = interval * (burst - 1)
        let now = clock.now()
        let startAt = next.withLock { next -> Duration in
            let arrival = max(next[space] ?? now, now)
            let allowed = max(now, arrival - tolerance)
            next[space] = arrival + interval
            return allowed
        }
        if startAt > now { try await clock.sleep(for: startAt - now) }
    }
}
