import Foundation

/// The real clocks: monotonic for durations, the system's for dates.
package struct SystemClock: FleetClock {
    private let start = ContinuousClock.now

    package init() {}

    package func now() -> Duration { ContinuousClock.now - start }

    package func date() -> Date { Date() }

    package func sleep(for duration: Duration) async throws {
        if duration > .zero { try await Task.sleep(for: duration) }
    }
}
