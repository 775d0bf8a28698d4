/// Stops sending to a host that cannot be reached, and to a space whose every token is refused,
/// so an unreachable API costs seconds, not hours of backoff. A host is stopped when its last
/// `window` requests all failed with `network` or `timeout` and none of its requests got an
/// answer in this execution, or at once on a `tls` failure (a certificate does not get better
/// with retries). A space is stopped when every project tried in it (at least `window`) was
/// refused as `unauthorized`.
struct CircuitBreaker: Sendable {
    static let window = 10

    struct Host: Sendable {
        var answered = false
        var consecutiveFailures = 0
        var stopped: String?
    }

    struct Space: Sendable {
        var tried = 0
        var refused = 0
        var stopped: String?
    }

    private(set) var hosts: [String: Host] = [:]
    private(set) var spaces: [String: Space] = [:]

    /// Records one answer; returns a reason when it stops the host or the space now.
    mutating func observe(_ observation: Observation, space: String, host: String) -> String? {
        var hostState = hosts[host] ?? Host()
        var spaceState = spaces[space] ?? Space()
        defer {
            hosts[host] = hostState
            spaces[space] = spaceState
        }
        if observation.status != nil { hostState.answered = true }
        let kind = observation.failure?.kind
        hostState.consecutiveFailures = kind == .network || kind == .timeout ? hostState.consecutiveFailures + 1 : 0
        if hostState.stopped == nil, let failure = observation.failure, failure.kind == .tls {
            hostState.stopped = failure.message
            return hostState.stopped
        }
        if hostState.stopped == nil, !hostState.answered, hostState.consecutiveFailures >= Self.window, let failure = observation.failure {
            hostState.stopped = "\(host) is unreachable: the last \(Self.window) requests failed (\(failure.message))"
            return hostState.stopped
        }
        if observation.firstOfTask && observation.status != nil {
            spaceState.tried += 1
            if kind == .unauthorized { spaceState.refused += 1 }
            if spaceState.stopped == nil, spaceState.tried >= Self.window, spaceState.refused == spaceState.tried {
                spaceState.stopped = "all \(spaceState.tried) projects tried in \(space) were refused (401/403); check the tokens"
                return spaceState.stopped
            }
        }
        return nil
    }

    /// Why `space` (on `host`) takes no more requests, or nil.
    func stopped(space: String, host: String) -> String? {
        hosts[host]?.stopped ?? spaces[space]?.stopped
    }
}
