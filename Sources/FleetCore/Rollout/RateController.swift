/// One space's request rate: a token bucket whose rate never exceeds `ceiling` (`--rate`).
/// The scheduler takes a token when it starts a request, on its own thread, so no two requests
/// can race for the same token.
struct RateController: Sendable {
    let ceiling: Double
    private(set) var rate: Double
    private var tokens: Double
    private var updatedAt: Duration
    /// 429 answers seen.
    private(set) var throttled = 0

    init(ceiling: Double, now: Duration) {
        self.ceiling = ceiling
        rate = ceiling
        tokens = 1
        updatedAt = now
    }

    /// A tenth of a second's worth of requests (at least 1) may go out together.
    private var burst: Double { max(1, (rate / 10).rounded(.up)) }

    private mutating func refill(_ now: Duration) {
        guard now > updatedAt else { return }
        tokens = min(burst, tokens + (now - updatedAt).seconds * rate)
        updatedAt = now
    }

    /// Takes a token if one is there (a token short by a rounding error counts as there, so a
    /// wake-up at the computed moment always finds it).
    mutating func take(at now: Duration) -> Bool {
        refill(now)
        guard tokens >= 1 - Self.epsilon else { return false }
        tokens = max(0, tokens - 1)
        return true
    }

    /// When the next token is due (now, if one is there), at least a microsecond away otherwise.
    mutating func nextToken(after now: Duration) -> Duration {
        refill(now)
        return tokens >= 1 - Self.epsilon ? now : now + max(.microseconds(1), .seconds((1 - tokens) / rate))
    }

    private static let epsilon = 1e-9

    mutating func observe(_ observation: Observation, now: Duration) {
        if observation.failure?.kind == .rateLimited { throttled += 1 }
    }

    /// Whether the space is waiting out a throttle, and until when.
    func paused(at now: Duration) -> Duration? { nil }
}

/// What one answer tells the scheduler about its space and host.
struct Observation: Sendable {
    var index: Int
    /// When the request left, on the execution's clock.
    var sentAt: Duration
    /// The status the server sent, nil when no answer arrived.
    var status: Int?
    var failure: RequestFailure?
    /// The task's first request in this execution: counts the project as tried in its space.
    var firstOfTask: Bool
}
