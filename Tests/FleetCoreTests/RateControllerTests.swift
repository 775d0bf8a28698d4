import FleetTestSupport
import Foundation
import Testing

@testable import FleetCore
@testable import FleetEngine
@testable import FleetModel
@testable import FleetStore

/// A space's rate: its token bucket and its slow start.
@Suite struct RateControllerTests {
    @Test func aRateSpacesRequestsAfterItsBurstAndTakesATokenWhenOneIsDue() {
        var rate = RateController(ceiling: 10, now: .zero)
        let taken = [rate.take(at: .zero), rate.take(at: .zero)]
        let next = rate.nextToken(after: .zero)
        let later = [
            rate.take(at: .milliseconds(100)), rate.take(at: .milliseconds(300)), rate.take(at: .milliseconds(300)),
        ]
        #expect(taken == [true, false])
        #expect(next == .milliseconds(100))
        #expect(later == [true, true, false], "a burst of 1 at 10/s")
    }

    @Test func inSlowStartEachAnswerAddsOneRequestPerRoundTripUpToTheCeiling() {
        func rate(after roundTrip: Duration, answers: Int = 1, ceiling: Double = 1000) -> Double {
            var rate = RateController(ceiling: ceiling, now: .zero)
            for _ in 0..<answers {
                rate.observe(
                    Observation(
                        index: 0, sentAt: .seconds(1), status: 200, failure: nil, firstOfTask: true,
                        cursor: TaskCursor(index: 0, requests: 0, hasBefore: false)), now: .seconds(1) + roundTrip)
            }
            return rate.rate
        }
        #expect(rate(after: .milliseconds(20)) == 70, "20/s + 1 / 20 ms")
        #expect(rate(after: .milliseconds(100)) == 30, "a slow space grows slowly")
        #expect(rate(after: .milliseconds(1)) == 120, "at most 100/s an answer")
        #expect(rate(after: .milliseconds(20), answers: 40, ceiling: 500) == 500, "never above --rate")
    }
}
