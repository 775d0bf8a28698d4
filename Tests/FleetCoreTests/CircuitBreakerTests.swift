import Foundation
import Testing

@testable import FleetEngine
@testable import FleetModel

/// When the circuit breaker stops a host or a space, pauses a host in an outage, and lets its
/// probes through.
@Suite struct CircuitBreakerTests {
    static func observation(_ index: Int, status: Int?, failure: ErrorKind? = nil, first: Bool = true) -> Observation {
        Observation(
            index: index, sentAt: .zero, status: status,
            failure: failure.map { RequestFailure(kind: $0, httpStatus: status, message: "\($0.rawValue) failure") },
            firstOfTask: first, cursor: TaskCursor(index: index, requests: 0, hasBefore: false))
    }

    @Test func aHostThatNeverAnsweredIsStoppedAtItsTenthNetworkFailureNotBefore() {
        var breaker = CircuitBreaker()
        let reasons = (0..<10).map {
            breaker.observe(Self.observation($0, status: nil, failure: .network), space: "acme", host: "h", now: .zero)
        }

        #expect(reasons.prefix(9).allSatisfy { $0 == nil })
        #expect(reasons[9] == "h is unreachable: the last 10 requests failed (network failure)")
        #expect(breaker.stopped(space: "acme", host: "h") == reasons[9])
        #expect(breaker.stopped(space: "beta", host: "h") == reasons[9], "every space on the host")
        #expect(breaker.stopped(space: "acme", host: "other") == nil)
    }

    @Test func aTLSFailureStopsTheHostAtOnce() {
        var breaker = CircuitBreaker()

        let reason = breaker.observe(
            Self.observation(0, status: nil, failure: .tls), space: "acme", host: "h", now: .zero)

        #expect(reason == "tls failure")
        #expect(breaker.stopped(space: "acme", host: "h") == "tls failure")
    }

    @Test func aSpaceIsStoppedOnlyWhenEveryProjectTriedWasRefused() {
        var breaker = CircuitBreaker()
        var refused = CircuitBreaker()
        _ = breaker.observe(Self.observation(0, status: 200), space: "acme", host: "h", now: .zero)
        for index in 1...12 {
            _ = breaker.observe(
                Self.observation(index, status: 401, failure: .unauthorized), space: "acme", host: "h", now: .zero)
        }
        let reasons = (0..<10).map {
            refused.observe(
                Self.observation($0, status: 401, failure: .unauthorized), space: "cust", host: "h", now: .zero)
        }

        #expect(
            breaker.stopped(space: "acme", host: "h") == nil, "one project answered: stale tokens, not a dead space")
        #expect(reasons.prefix(9).allSatisfy { $0 == nil })
        #expect(reasons[9] == "all 10 projects tried in cust were refused (401/403); check the tokens")
        #expect(refused.stopped(space: "other", host: "h") == nil, "the host still serves other spaces")
    }

    @Test func aHostThatAnsweredBeforeIsPausedWithOneProbeAtATimeAndDoublingPauses() {
        var breaker = CircuitBreaker()
        _ = breaker.observe(Self.observation(0, status: 200), space: "acme", host: "h", now: .zero)
        for index in 1...10 {
            _ = breaker.observe(
                Self.observation(index, status: nil, failure: .timeout), space: "acme", host: "h", now: .seconds(5))
        }

        // In an outage from 5 s: nothing before the first pause, then one probe at a time
        #expect(breaker.inOutage(host: "h"))
        #expect(breaker.stopped(space: "acme", host: "h") == nil)
        #expect(!breaker.admits(host: "h", now: .seconds(5.5)))
        #expect(breaker.admitsAt(host: "h", now: .seconds(5.5)) == .seconds(6))
        #expect(breaker.admits(host: "h", now: .seconds(6)))
        breaker.starting(11, host: "h")
        #expect(!breaker.admits(host: "h", now: .seconds(7)), "one probe in flight")
        #expect(breaker.admitsAt(host: "h", now: .seconds(7)) == nil)

        // The probe fails: the pause doubles to 2 s
        _ = breaker.observe(
            Self.observation(11, status: nil, failure: .timeout), space: "acme", host: "h", now: .seconds(7))
        #expect(breaker.admitsAt(host: "h", now: .seconds(7)) == .seconds(9))

        // An answer ends the outage
        _ = breaker.observe(Self.observation(12, status: 200), space: "acme", host: "h", now: .seconds(9))
        #expect(!breaker.inOutage(host: "h"))
        #expect(breaker.admits(host: "h", now: .seconds(9)))
    }

    @Test func anOutageThatOutlastsItsBudgetStopsTheHost() {
        var breaker = CircuitBreaker()
        breaker.outageBudget = .seconds(30)
        _ = breaker.observe(Self.observation(0, status: 200), space: "acme", host: "h", now: .zero)
        for index in 1...10 {
            _ = breaker.observe(
                Self.observation(index, status: nil, failure: .network), space: "acme", host: "h", now: .seconds(1))
        }

        let early = breaker.observe(
            Self.observation(11, status: nil, failure: .network), space: "acme", host: "h", now: .seconds(30))
        let late = breaker.observe(
            Self.observation(12, status: nil, failure: .network), space: "acme", host: "h", now: .seconds(31))

        #expect(early == nil)
        #expect(late == "h is unreachable: no answer for 30 s after it had answered (network failure)")
        #expect(breaker.stopped(space: "acme", host: "h") == late)
    }
}
