/// Exponential backoff with full jitter: attempt n waits a random time in
/// [0, min(cap, base × 2^(n−1))]; a server's Retry-After wins when it sent one.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration
    /// The longest Retry-After honoured, so one odd header cannot stall a run for hours.
    public var retryAfterCap: Duration

    public init(maxAttempts: Int, base: Duration = .milliseconds(250), cap: Duration = .seconds(30), retryAfterCap: Duration = .seconds(300)) {
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
        self.retryAfterCap = retryAfterCap
    }

    /// How long to wait after failed attempt `attempt` (1-based) of one request, or nil when no
    /// attempt is left or the failure is not worth retrying. `unit` is a uniform draw in [0, 1).
    public func delay(after failure: RequestFailure, attempt: Int, unit: Double) -> Duration? {
        guard failure.kind.isRetryable, attempt < maxAttempts else { return nil }
        if let retryAfter = failure.retryAfter { return min(retryAfter, retryAfterCap) }
        let exponent = min(attempt - 1, 30)
        let ceiling = min(cap, base * (1 << exponent))
        return ceiling * unit
    }
}
