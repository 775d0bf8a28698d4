import FleetModel
import Foundation

/// One space's request rate, adaptive and never above `ceiling` (`--rate`), in the manner of
/// TCP's congestion control and the AWS SDKs' adaptive retry mode:
///
/// - It starts carefully, at `initial`, and grows with each answer that is not a 429 by one
///   request per round trip (1 / the answer's round-trip time, at most `maxSlowStartGain`): TCP's
///   slow start in terms of a rate, so the rate doubles with each round trip of answers and a
///   fast space reaches its pace within a few round trips, while a slow one grows no faster than
///   it answers.
/// - A 429 is a throttling event: the rate drops to `beta` × the rate the space was actually
///   sending at, once per event (answers to requests sent before the drop do not drop it again),
///   and the space pauses for the server's Retry-After, or without one for a cool-down that
///   doubles while the space stays throttled (`coolDown` … `maxCoolDown`); after a pause without
///   Retry-After, one probe request goes first.
/// - Then it probes back up along a cubic curve centred on the rate it was throttled at (CUBIC,
///   constant `cubic`): quickly at first, gently near the last throttled rate, faster past it.
/// - Past slow start it never grows beyond twice what the space is actually sending (an idle
///   allowance is not evidence the server can take it).
///
/// The scheduler takes a token when it starts a request, on its own task, so no two requests can
/// race for the same token.
struct RateController: Sendable {
    static let initial = 20.0
    /// Requests/s a single answer may add in slow start: the gain of a 10 ms round trip.
    static let maxSlowStartGain = 100.0
    static let beta = 0.85
    static let cubic = 0.4
    static let minimum = 0.5
    static let coolDown: Duration = .milliseconds(100)
    static let maxCoolDown: Duration = .seconds(4)

    let ceiling: Double
    private(set) var rate: Double
    private var tokens: Double
    private var updatedAt: Duration
    /// 429 answers seen.
    private(set) var throttled = 0
    private(set) var pausedUntil: Duration = .zero
    private var slowStart = true
    /// The rate at the last throttling event, and when it happened.
    private var throttledRate = 0.0
    private var throttledAt: Duration?
    private var consecutiveThrottles = 0
    /// A probe is due after a pause without Retry-After; `probeInFlight` while it is out.
    private var probing = false
    private var probeInFlight = false
    /// Requests sent, counted per quarter second over the last half second, for the measured rate.
    private var sent = SendMeter()

    init(ceiling: Double, now: Duration) {
        self.ceiling = ceiling
        rate = min(ceiling, Self.initial)
        tokens = Self.burst(for: min(ceiling, Self.initial))
        updatedAt = now
    }

    /// A tenth of a second's worth of requests (at least 1) may go out together.
    private static func burst(for rate: Double) -> Double { max(1, (rate / 10).rounded(.up)) }

    private mutating func refill(_ now: Duration) {
        guard now > updatedAt else { return }
        // (`updatedAt` may lie ahead, at the end of a pause: nothing accrues during it.)
        tokens = min(Self.burst(for: rate), tokens + (now - updatedAt).seconds * rate)
        updatedAt = now
    }

    /// Takes a token if one is there and the space is not paused (a token short by a rounding
    /// error counts as there, so a wake-up at the computed moment always finds it).
    mutating func take(at now: Duration) -> Bool {
        guard now >= pausedUntil, !probeInFlight else { return false }
        refill(now)
        guard tokens >= 1 - Self.epsilon else { return false }
        tokens = max(0, tokens - 1)
        sent.count(at: now)
        if probing { probeInFlight = true }
        return true
    }

    /// When a request may next go (now, if it may), at least a microsecond away otherwise;
    /// nil while a probe is out (its answer decides).
    mutating func nextToken(after now: Duration) -> Duration? {
        if probeInFlight { return nil }
        if now < pausedUntil { return pausedUntil }
        refill(now)
        return tokens >= 1 - Self.epsilon ? now : now + max(.microseconds(1), .seconds((1 - tokens) / rate))
    }

    /// Whether the space is waiting out a throttle now.
    func isPaused(at now: Duration) -> Bool { now < pausedUntil || probeInFlight }

    mutating func observe(_ observation: Observation, now: Duration) {
        if observation.failure?.kind == .rateLimited {
            throttle(observation, now: now)
        } else if observation.status != nil {
            grow(now: now, roundTrip: now - observation.sentAt)
        } else if probeInFlight {
            // The probe got no answer at all: it tells nothing about the limit; let another go.
            probeInFlight = false
        }
    }

    private mutating func grow(now: Duration, roundTrip: Duration) {
        (probing, probeInFlight, consecutiveThrottles) = (false, false, 0)
        if slowStart {
            // Growth comes with answers, so it is only as fast as the space is actually used.
            rate = min(ceiling, rate + min(Self.maxSlowStartGain, 1 / max(roundTrip.seconds, 1e-6)))
            return
        }
        // CUBIC: W(t) = C (t − K)³ + W_max, K = ∛(W_max (1 − β) / C); growing with time, so
        // held to twice what the space actually sends.
        let elapsed = (now - (throttledAt ?? now)).seconds
        let k = cbrt(throttledRate * (1 - Self.beta) / Self.cubic)
        let next = max(rate, Self.cubic * pow(elapsed - k, 3) + throttledRate)
        rate = min(ceiling, next, max(rate, Self.initial, 2 * sent.rate(at: now)))
    }

    private mutating func throttle(_ observation: Observation, now: Duration) {
        throttled += 1
        if probeInFlight { probeInFlight = false }
        // Once per event: a request sent before the last drop was answered by the same event.
        if let throttledAt, observation.sentAt < throttledAt { return }
        let sending = sent.rate(at: now)
        throttledRate = sending > 0 ? min(rate, sending) : rate
        rate = max(Self.minimum, throttledRate * Self.beta)
        let coolDown = min(Self.maxCoolDown, Self.coolDown * (1 << min(consecutiveThrottles, 8)))
        consecutiveThrottles += 1
        pausedUntil = now + (observation.failure?.retryAfter ?? coolDown)
        // When the pause ends, one request may go at once: the pause was the wait.
        (slowStart, throttledAt, tokens, updatedAt) = (false, now, 1, pausedUntil)
        probing = observation.failure?.retryAfter == nil
    }

    private static let epsilon = 1e-9
}

/// Requests sent over the last half second, in quarter-second buckets (the current quarter,
/// still filling, is left out so it does not pull the rate down). Half a second is recent enough
/// that the rate a throttle cuts is the rate that met the limit, not the lower one of a second ago.
struct SendMeter: Sendable {
    private var buckets = [0, 0, 0]
    private var current: Int64 = 0

    private mutating func advance(to now: Duration) {
        let bucket = Int64(now.seconds * 4)
        guard bucket > current else { return }
        for step in 1...min(3, bucket - current) { buckets[Int((current + step) % 3)] = 0 }
        current = bucket
    }

    mutating func count(at now: Duration) {
        advance(to: now)
        buckets[Int(current % 3)] += 1
    }

    /// Requests per second over the two quarters before the current one.
    mutating func rate(at now: Duration) -> Double {
        advance(to: now)
        return Double(buckets.reduce(0, +) - buckets[Int(current % 3)]) * 2
    }
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
    /// Where the task stood when the request left: an outage sends it back there.
    var cursor: TaskCursor
}
