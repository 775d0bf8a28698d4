import Synchronization

/// Time as the executor sees it, injected so retry and backoff tests run without sleeping.
public protocol FleetClock: Sendable {
    /// Monotonic time since some fixed start.
    func now() -> Duration
    func sleep(for duration: Duration) async throws
}

/// The real monotonic clock.
public struct SystemClock: FleetClock {
    private let start = ContinuousClock.now

    public init() {}

    public func now() -> Duration { ContinuousClock.now - start }

    public func sleep(for duration: Duration) async throws {
        if duration > .zero { try await Task.sleep(for: duration) }
    }
}

/// A clock whose `sleep` returns at once and moves its time forward instead, recording each
/// sleep, so a test can assert on backoff and Retry-After waits and still finish in milliseconds.
public final class VirtualClock: FleetClock {
    private let state = Mutex<(now: Duration, sleeps: [Duration])>((.zero, []))

    public init() {}

    public func now() -> Duration { state.withLock { $0.now } }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock { state in
            state.sleeps.append(duration)
            if duration > .zero { state.now += duration }
        }
        await Task.yield()
    }

    /// Every sleep asked for, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }
}
