import Foundation

/// What status shows per space.
package struct SpaceReport: Sendable, Equatable {
    package var space: String
    package var rate: Double
    package var throttled: Int
    package var stopped: String?

    package init(space: String, rate: Double, throttled: Int, stopped: String?) {
        self.space = space
        self.rate = rate
        self.throttled = throttled
        self.stopped = stopped
    }
}
