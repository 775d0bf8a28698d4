import Synchronization

/// A token bucket per space: `rate` tokens a second, at most `burst` saved up. A request takes a
/// token when it is about to be sent; one that finds none sleeps until one is due and checks
/// again, so requests that wake late (a busy event loop) still cannot go out together beyond the
/// burst: any second of sending holds at most `rate + burst` requests of a space.
public final class RateLimiter: Sendable {
    public let rate: Double
    public let burst: Int
    private let clock: any FleetClock
    private let buckets = Mutex<[String: (tokens: Double, at: Duration)]>([:])

    /// `burst` defaults to a tenth of a second's worth of requests (at least 1).
    public init(rate: Double, burst: Int? = nil, clock: any FleetClock) {
        self.rate = rate
        self.burst = burst ?? max(1, Int((rate / 10).rounded(.up)))
        self.clock = clock
    }

    public func acquire(space: String) async throws {
        guard rate.isFinite, rate > 0 else { return }
        while true {
            let now = clock.now()
            let wait = buckets.withLock { buckets -> Duration? in
                var bucket = buckets[space] ?? (Double(burst), now)
                bucket.tokens = min(Double(burst), bucket.tokens + (now - bucket.at).seconds * rate)
                bucket.at = now
                defer { buckets[space] = bucket }
                if bucket.tokens >= 1 {
                    bucket.tokens -= 1
                    return nil
                }
                return .seconds((1 - bucket.tokens) / rate)
            }
            guard let wait else { return }
            try await clock.sleep(for: wait)
        }
    }
}
