import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// The adaptive rate on virtual time: as fast as each space allows, without knowing its limit.
@Suite struct AdaptiveRateTests {
    let template = try! Template(name: "t", text: #"{"default_encryption": "required"}"#)

    /// A server that lets through at most `limit` requests a second per space (a token bucket
    /// of a tenth of a second's worth) and answers the rest 429, after 20 ms either way.
    final class ThrottlingServer: Transport, TransportProvider, Sendable {
        struct State {
            var limits: [String: Double]
            var buckets: [String: (tokens: Double, at: Duration)] = [:]
            var accepted: [String: [Duration]] = [:]
            var rejected = 0
        }
        let state: Mutex<State>
        let clock: any FleetClock
        let retryAfter: Bool

        init(limits: [String: Double], clock: any FleetClock, retryAfter: Bool = false) {
            state = Mutex(State(limits: limits))
            self.clock = clock
            self.retryAfter = retryAfter
        }

        func setLimit(_ limit: Double, space: String) { state.withLock { $0.limits[space] = limit } }

        func withTransport<T: Sendable>(
            _ options: TransportOptions, _ body: @Sendable (any Transport) async throws -> T
        ) async throws -> T {
            try await body(self)
        }

        func send(_ request: TransportRequest, timeout: Duration) async -> Result<TransportResponse, RequestFailure> {
            let space = String(request.url.split(separator: "/")[2])
            let now = clock.now()
            let allowed = state.withLock { state -> Bool in
                let limit = state.limits[space] ?? .infinity
                var bucket = state.buckets[space] ?? (max(1, limit / 10), now)
                bucket.tokens = min(max(1, limit / 10), bucket.tokens + (now - bucket.at).seconds * limit)
                bucket.at = now
                defer { state.buckets[space] = bucket }
                guard bucket.tokens >= 1 else {
                    state.rejected += 1
                    return false
                }
                bucket.tokens -= 1
                state.accepted[space, default: []].append(now)
                return true
            }
            try? await clock.sleep(for: .milliseconds(20))
            guard allowed else {
                return .success(
                    TransportResponse(status: 429, retryAfter: retryAfter ? "1" : nil, body: Data("{}".utf8)))
            }
            let profile = SipProfile(
                domainIdentifier: "x", defaultCodecs: ["PCMU"], defaultCiphers: [],
                defaultEncryption: request.method == .get ? "optional" : "required")
            return .success(TransportResponse(status: request.method == .get ? 200 : 201, body: profile.jsonData()))
        }

        /// Accepted requests of `space` in each whole second from `from` to `to`.
        func perSecond(_ space: String, from: Int, to: Int) -> [Int] {
            let times = state.withLock { $0.accepted[space] ?? [] }
            return (from..<to).map { second in
                times.filter { $0 >= .seconds(second) && $0 < .seconds(second + 1) }.count
            }
        }
    }

    /// Rolls `projects` out through `server` (on virtual time: call it inside `time.run`).
    func rollout(
        _ fixture: Fixture, server: ThrottlingServer, clock: any FleetClock, rate: Double = 1000, concurrency: Int = 32
    ) async throws -> RunOutcome {
        try await fixture.session(server, clock: clock).rollout(
            template, options: testOptions { ($0.rate, $0.concurrency, $0.maxAttempts) = (rate, concurrency, 8) })
    }

    @Test func underAFixedLimitTheRateConvergesWithin20PercentAndStaysThere() async throws {
        // Given one space limited to 10 requests a second, and a ceiling far above it
        let time = VirtualTime()
        let server = ThrottlingServer(limits: ["space0": 10], clock: time.clock)

        let fixture = try Fixture(projects: TestProject.make(350, spaces: 1))
        let outcome = try await time.run { try await rollout(fixture, server: server, clock: time.clock) }

        // Then after the first seconds every second carries between 80% and 100% of the limit
        #expect(outcome.end == .finished)
        let trace = server.perSecond("space0", from: 8, to: 60)
        #expect(trace.allSatisfy { $0 >= 8 && $0 <= 11 }, "\(trace)")
        let rejected = server.state.withLock { $0.rejected }
        #expect(Double(rejected) / 700 < 0.1, "\(rejected) answered 429")
    }

    @Test func aSpaceThrottledHardDoesNotHoldTheOthersBack() async throws {
        // Given 4 spaces of 100 projects, once all unthrottled and once with space0 allowed 5 requests a second
        func lastAnswers(limits: [String: Double]) async throws -> [String: Duration] {
            let time = VirtualTime()
            let server = ThrottlingServer(limits: limits, clock: time.clock)
            let fixture = try Fixture(projects: TestProject.make(200, spaces: 4))
            _ = try await time.run { try await rollout(fixture, server: server, clock: time.clock) }
            return server.state.withLock { $0.accepted.mapValues { $0.max()! } }
        }
        let free = try await lastAnswers(limits: [:])
        let throttled = try await lastAnswers(limits: ["space0": 5])

        // Then the other three finish within 10% of their unthrottled time, and space0 much later
        for space in ["space1", "space2", "space3"] {
            #expect(throttled[space]! <= free[space]! * 1.1, "\(space): \(throttled[space]!) against \(free[space]!)")
        }
        #expect(throttled["space0"]! > .seconds(15), "space0: 50 projects at 5 requests a second")
    }

    /// bench/adaptive.sh's case (a) on virtual time, a fifth of its size: 4 spaces × 50 projects
    /// against SignalWire's kind of limit, 40 writes per 10 s per space (12.5 s at best), 32 in
    /// flight, --rate 1000.
    @Test(arguments: [true, false])
    func againstAWriteLimitItFinishesNearTheIdealWithFew429s(retryAfter: Bool) async throws {
        let projects = TestProject.make(200, spaces: 4)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        (faults.writeLimit, faults.retryAfter, faults.latency) = ((40, .seconds(10)), retryAfter, .milliseconds(20))
        let time = VirtualTime()
        let simulator = try fixture.simulator(faults, clock: time.clock)

        let outcome = try await time.run {
            try await fixture.session(simulator).rollout(
                template, options: testOptions { ($0.rate, $0.concurrency) = (1000, 32) })
        }

        let requests = simulator.statistics.total
        let throttled = simulator.throttled
        #expect(outcome.end == .finished)
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 200])
        #expect(time.clock.now() <= .milliseconds(16_250), "took \(time.clock.now()) against an ideal of 12.5 s")
        // At this fifth of bench/adaptive.sh's size: 16 of 416 (3.8%) with Retry-After, 52 of 452
        // (11.5%) without, measured 2026-12-02. (Until then the simulator counted no 429, so
        // this bound was never checked.)
        #expect(
            Double(throttled) / Double(requests) <= (retryAfter ? 0.05 : 0.13),
            "\(throttled) of \(requests) answered 429")
    }

    @Test func whenTheLimitIsRaisedTheRateRecovers() async throws {
        let time = VirtualTime()
        let server = ThrottlingServer(limits: ["space0": 10], clock: time.clock)
        let fixture = try Fixture(projects: TestProject.make(450, spaces: 1))

        _ = try await time.run {
            async let raised: Void = {
                try? await time.clock.sleep(for: .seconds(30))
                server.setLimit(30, space: "space0")
            }()
            let outcome = try await rollout(fixture, server: server, clock: time.clock)
            await raised
            return outcome
        }

        let before = server.perSecond("space0", from: 20, to: 30)
        let after = server.perSecond("space0", from: 42, to: 50)
        #expect(before.allSatisfy { $0 <= 11 }, "\(before)")
        #expect(after.allSatisfy { $0 >= 24 }, "\(after)")
    }
}
