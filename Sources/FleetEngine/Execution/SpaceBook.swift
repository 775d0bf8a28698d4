import FleetModel
import Foundation

/// Each space's rate and the circuit breaker, kept across the waves of an execution.
package struct SpaceBook: Sendable {
    var rates: [String: RateController] = [:]
    var hosts: [String: String] = [:]
    var breaker = CircuitBreaker()

    package init() {}

    /// Per space: its rate at the end, the 429 answers it got, and why it was stopped, if it was.
    package var report: [SpaceReport] {
        rates.keys.sorted().map { space in
            SpaceReport(
                space: space, rate: rates[space]!.rate, throttled: rates[space]!.throttled,
                stopped: breaker.stopped(space: space, host: hosts[space] ?? ""))
        }
    }
}
