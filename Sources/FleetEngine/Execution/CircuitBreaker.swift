import FleetModel

/// Stops sending to a host that cannot be reached, and to a space whose every token is refused,
/// so an unreachable API costs seconds, not hours of backoff. A host is stopped when its last
/// `window` requests all failed with `network` or `timeout` and none of its requests got an
/// answer in this execution, or at once on a `tls` failure (a certificate does not get better
/// with retries). A space is stopped when every project tried in it (at least `window`) was
/// refused as `unauthorized`.
///
/// A host that did answer before and whose last `window` requests all failed with `network` or
/// `timeout` is in an outage: it is paused, not stopped. One probe at a time tests it, after a
/// pause that doubles from 1 s up to `maxPause`; the first answer ends the outage. Only when it
/// has lasted `outageBudget` (several `--timeout`s) is the host stopped.
struct CircuitBreaker: Sendable {
    static let window = 10
    static let firstPause: Duration = .seconds(1)
    static let maxPause: Duration = .seconds(16)

    struct Host: Sendable {
        var answered = false
        var consecutiveFailures = 0
        var stopped: String?
        var outage: Outage?
    }

    struct Outage: Sendable {
        var since: Duration
        var pause: Duration
        var nextProbe: Duration
        /// The task whose request is the probe in flight, if one is.
        var probe: Int?
    }

    /// How long an outage may last before the host is stopped.
    var outageBudget: Duration = .seconds(150)

    struct Space: Sendable {
        var tried = 0
        var refused = 0
        var stopped: String?
    }

    private(set) var hosts: [String: Host] = [:]
    private(set) var spaces: [String: Space] = [:]

    /// Records one answer; returns a reason when it stops the host or the space now.
    mutating func observe(_ observation: Observation, space: String, host: String, now: Duration) -> String? {
        var hostState = hosts[host] ?? Host()
        var spaceState = spaces[space] ?? Space()
        defer {
            hosts[host] = hostState
            spaces[space] = spaceState
        }
        if observation.status != nil { (hostState.answered, hostState.outage) = (true, nil) }
        let kind = observation.failure?.kind
        hostState.consecutiveFailures = kind == .network || kind == .timeout ? hostState.consecutiveFailures + 1 : 0
        if hostState.stopped == nil, hostState.answered, hostState.consecutiveFailures > 0,
            let failure = observation.failure
        {
            if let reason = outage(&hostState, observation: observation, host: host, failure: failure, now: now) {
                return reason
            }
        }
        if hostState.stopped == nil, let failure = observation.failure, failure.kind == .tls {
            hostState.stopped = failure.message
            return hostState.stopped
        }
        if hostState.stopped == nil, !hostState.answered, hostState.consecutiveFailures >= Self.window,
            let failure = observation.failure
        {
            hostState.stopped = "\(host) is unreachable: the last \(Self.window) requests failed (\(failure.message))"
            return hostState.stopped
        }
        if observation.firstOfTask && observation.status != nil {
            spaceState.tried += 1
            if kind == .unauthorized { spaceState.refused += 1 }
            if spaceState.stopped == nil, spaceState.tried >= Self.window, spaceState.refused == spaceState.tried {
                spaceState.stopped =
                    "all \(spaceState.tried) projects tried in \(space) were refused (401/403); check the tokens"
                return spaceState.stopped
            }
        }
        return nil
    }

    /// An outage begins, a probe fails (the pause doubles), or the outage outlasts its budget.
    private func outage(
        _ state: inout Host, observation: Observation, host: String, failure: RequestFailure, now: Duration
    ) -> String? {
        guard var outage = state.outage else {
            if state.consecutiveFailures >= Self.window {
                state.outage = Outage(since: now, pause: Self.firstPause, nextProbe: now + Self.firstPause)
            }
            return nil
        }
        if outage.probe == observation.index {
            outage.probe = nil
            outage.pause = min(Self.maxPause, outage.pause * 2)
            outage.nextProbe = now + outage.pause
        }
        state.outage = outage
        guard now - outage.since >= outageBudget else { return nil }
        state.outage = nil
        state.stopped =
            "\(host) is unreachable: no answer for \(Int(outageBudget.seconds)) s after it had answered (\(failure.message))"
        return state.stopped
    }

    /// Whether a request to `host` may start now: always, but during an outage only one probe
    /// at a time, once its pause is over.
    func admits(host: String, now: Duration) -> Bool {
        guard let outage = hosts[host]?.outage else { return true }
        return outage.probe == nil && now >= outage.nextProbe
    }

    /// When a request to `host` may start, as far as outages go (nil: when the probe in flight ends).
    func admitsAt(host: String, now: Duration) -> Duration? {
        guard let outage = hosts[host]?.outage else { return now }
        return outage.probe == nil ? max(now, outage.nextProbe) : nil
    }

    /// A request to `host` starts; during an outage it is the probe.
    mutating func starting(_ index: Int, host: String) {
        if hosts[host]?.outage != nil { hosts[host]?.outage?.probe = index }
    }

    func inOutage(host: String) -> Bool { hosts[host]?.outage != nil }

    /// Why `space` (on `host`) takes no more requests, or nil.
    func stopped(space: String, host: String) -> String? {
        hosts[host]?.stopped ?? spaces[space]?.stopped
    }
}
