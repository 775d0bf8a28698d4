import FleetModel

/// The end of a run's change window on the dispatcher's clock: no request starts at or after
/// it, and the batch halts with `reason` (requests in flight finish).
package struct WindowEnd: Sendable {
    package var at: Duration
    package var reason: String

    package init(at: Duration, reason: String) {
        self.at = at
        self.reason = reason
    }
}
