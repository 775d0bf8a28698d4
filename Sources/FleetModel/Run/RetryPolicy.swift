/// Exponential backoff with full jitter: attempt n waits a random time in
/// [0, min(cap, base × 2^(n−1))]; a server's Retry-After (already capped when parsed) wins.
package struct RetryPolicy: Sendable, Equatable {
    package var maxAttempts: Int
    package var base: Duration
    package var cap: Duration

    package init(maxAttempts: Int, base: Duration = .milliseconds(250), cap: Duration = .seconds(30)) {
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
    }

    /// How long to wait after failed attempt `attempt` (1-based) of one request, or nil when no
    /// attempt is left or the failure is not worth retrying. `unit` is a uniform draw in [0, 1).
    package func delay(after failure: RequestFailure, attempt: Int, unit: Double) -> Duration? {
        guard failure.kind.isRetryable, attempt < maxAttempts else { return nil }
        if let retryAfter = failure.retryAfter { return retryAfter }
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(cap, base * (1 << exponent))
        return ceiling * unit
    }
}
