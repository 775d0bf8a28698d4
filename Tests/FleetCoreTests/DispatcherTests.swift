import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

/// The executor against the in-process simulator on virtual time: concurrency, rate, backoff,
/// ordering and outcomes are the executor's own, asserted on the simulator's stored profiles and
/// counters and on the database, instantly.
@Suite struct DispatcherTests {
    let template = try! Template(name: "secure.json", text: secureTemplate)

    @Test func aRolloutPutsEachProfileOnceAndASecondOneChangesNothing() async throws {
        let projects = TestProject.make(30)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        let simulator = try fixture.simulator(clock: time.clock)
        let session = try fixture.session(simulator)

        // When the template is rolled out
        let first = try await time.run { try await session.rollout(template, options: testOptions()) }

        // Then every profile is the merged one, after exactly one GET and one PUT each
        #expect(first.end == .finished)
        for project in projects {
            #expect(simulator.profile(space: project.space, projectID: project.projectID) == project.secureProfile)
            #expect(simulator.requests(project: project.projectID, method: "GET") == 1)
            #expect(simulator.requests(project: project.projectID, method: "PUT") == 1)
        }
        #expect(try fixture.database.taskStates(run: first.runID) == ["succeeded": 30])
        #expect(try fixture.database.scalar("SELECT count(*) FROM attempts") == 60)
        #expect(try fixture.database.scalar("SELECT count(*) FROM snapshots WHERE kind = 'before'") == 30)
        #expect(try fixture.database.scalar("SELECT count(*) FROM snapshots WHERE kind = 'after'") == 30)
        #expect(try fixture.database.column("SELECT DISTINCT http_status FROM attempts ORDER BY 1") == [200, 201])

        // When the same rollout runs again, every project is unchanged and no PUT was sent
        let second = try await time.run { try await session.rollout(template, options: testOptions()) }
        #expect(try fixture.database.taskStates(run: second.runID) == ["unchanged": 30])
        #expect(projects.allSatisfy { simulator.requests(project: $0.projectID, method: "PUT") == 1 })
    }

    /// Holds the database's writer (as another process holding the write lock would) from the
    /// moment the simulator receives request `count`, until the returned semaphore is signalled.
    static func holdWriter(of fixture: Fixture, from count: Int, at simulator: SignalWireSimulator) -> DispatchSemaphore
    {
        let writes = DispatchSemaphore(value: 0)
        simulator.whenRequests(reach: count) {
            fixture.database.writer.asyncWriteWithoutTransaction { _ in writes.wait() }
        }
        return writes
    }

    @Test(.timeLimit(.minutes(1)))
    func whileAnAnswerIsBeingWrittenItsSlotServesOthersButItsTaskWaits() async throws {
        // Given three projects, two requests at a time, and the database's writer held up from the
        // moment the first request arrives, so no answer can be written yet
        let projects = TestProject.make(3)
        let fixture = try Fixture(projects: projects)
        let simulator = try fixture.simulator()
        let session = try fixture.session(simulator)
        let writes = Self.holdWriter(of: fixture, from: 1, at: simulator)

        // When the rollout runs
        let rollout = Task { try await session.rollout(template, options: testOptions { $0.concurrency = 2 }) }
        await simulator.waitForRequests(3)

        // Then the slot of the first GET went to the third while its answer waited for the disk,
        // and no PUT left before its project's profile was on disk
        #expect(projects.allSatisfy { simulator.requests(project: $0.projectID, method: "GET") == 1 })
        #expect(projects.allSatisfy { simulator.requests(project: $0.projectID, method: "PUT") == 0 })
        #expect(try fixture.database.scalar("SELECT count(*) FROM attempts") == 0)
        writes.signal()
        let outcome = try await rollout.value
        #expect(outcome.end == .finished)
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 3])
    }

    @Test func aTenSecondOutageMidRunPausesTheSpaceAndFailsNoTask() async throws {
        // Given 200 projects behind one host that answered, then goes down for 10 s mid-run
        let projects = TestProject.make(200)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(20)
        let simulator = try fixture.simulator(configuration, clock: time.clock)
        simulator.whenRequests(reach: 150) { simulator.goDown(for: .seconds(10)) }

        let outcome = try await time.run {
            try await fixture.session(simulator).rollout(template, options: testOptions { $0.concurrency = 16 })
        }

        // Then the space was paused and probed, not failed: every project succeeded, with the
        // outage costing no task its attempts, and a probe at a time while it lasted
        #expect(outcome.end == .finished)
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 200])
        #expect(projects.allSatisfy { simulator.profile(space: $0.space, projectID: $0.projectID) == $0.secureProfile })
        let lost: Int = try #require(
            try fixture.database.scalar("SELECT count(*) FROM attempts WHERE error_kind = 'network'"))
        // (the 16 in flight when it went down, those started on their slots before ten failures
        // in a row were seen, then one probe per pause: at 1, 3 and 7 s)
        #expect(lost >= 16 && lost <= 2 * 16 + 4, "\(lost) requests lost to the outage")
    }

    @Test func anOutageThatOutlastsItsBudgetStopsTheSpaceWithTheTasksLeftPending() async throws {
        let projects = TestProject.make(60, spaces: 1)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(20)
        let simulator = try fixture.simulator(configuration, clock: time.clock)
        simulator.whenRequests(reach: 40) { simulator.goDown(for: .seconds(3600)) }

        let outcome = try await time.run {
            try await fixture.session(simulator).rollout(
                template, options: testOptions { ($0.concurrency, $0.timeoutSeconds) = (8, 2) })
        }

        guard case .halted(let reason) = outcome.end else {
            Issue.record("expected a halt, got \(outcome.end)")
            return
        }
        #expect(reason.contains("is unreachable: no answer for 30 s after it had answered"), "\(reason)")
        #expect(try fixture.database.scalar("SELECT count(*) FROM tasks WHERE state = 'failed'") == 0)
        #expect(
            try fixture.database.scalar(
                "SELECT count(*) FROM tasks WHERE state = 'pending' AND error_kind = 'unreachable'") ?? 0 > 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func whileNoAnswerCanBeRecordedNoNewRequestStarts() async throws {
        // Given 40 projects, four requests at a time, and the database's writer held (as another
        // process holding the write lock would) from the moment the first request arrives
        let projects = TestProject.make(40)
        let fixture = try Fixture(projects: projects)
        let simulator = try fixture.simulator()
        let session = try fixture.session(simulator)
        let writes = Self.holdWriter(of: fixture, from: 1, at: simulator)
        let released = Mutex(false)
        let early = Mutex(false)
        simulator.whenRequests(reach: 8) { early.withLock { $0 = !released.withLock { $0 } } }

        // When the rollout runs: the first four answers fill the room for answers waiting for the
        // disk; the three requests started meanwhile (each on a slot an answer freed) are the last
        let rollout = Task { try await session.rollout(template, options: testOptions { $0.concurrency = 4 }) }
        await simulator.waitForRequests(7)
        released.withLock { $0 = true }
        writes.signal()
        let outcome = try await rollout.value

        // Then no eighth request left before the disk could be written again, and the run finished
        #expect(!early.withLock { $0 }, "a request started while no answer could be recorded")
        #expect(outcome.end == .finished)
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 40])
    }

    @Test(.timeLimit(.minutes(1)))
    func aRequestThatBecomesDueWhileTheSchedulerLooksIsSentAndTheRunEnds() async throws {
        // Given a clock that moves on every time it is read, as a busy machine's does between two
        // looks, and a rate whose next token lands between them
        for step in [7, 23, 41, 60, 95] {
            let projects = TestProject.make(6, spaces: 1)
            let fixture = try Fixture(projects: projects)
            let clock = SlippingClock(step: .milliseconds(step))
            let simulator = try fixture.simulator(clock: clock)
            let session = try fixture.session(SimulatorTransportProvider(simulator: simulator), clock: clock)

            // When it is rolled out one request at a time (nothing else in flight to wake the scheduler)
            // (a stall never ends; the deadline is wide because the whole suite shares two cores)
            let outcome = try await withDeadline(.seconds(30)) {
                try await session.rollout(template, options: testOptions { ($0.concurrency, $0.rate) = (1, 10) })
            }

            // Then it finishes rather than waiting for a wake-up that was never armed
            #expect(outcome?.end == .finished, "step \(step) ms: the scheduler stopped waking up")
            #expect(try fixture.database.taskStates(run: 1) == ["succeeded": 6])
        }
    }

    @Test func aRolloutConvergesThroughTransientFaults() async throws {
        // Given 500s, dropped connections, 429s with Retry-After and a 503 for every first request
        let projects = TestProject.make(40)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        (faults.failRate, faults.dropRate, faults.rateLimit, faults.failFirst, faults.seed, faults.latency) = (
            0.15, 0.1, 8, 1, 3, .milliseconds(20)
        )
        let time = VirtualTime()
        let simulator = try fixture.simulator(faults, clock: time.clock)
        let session = try fixture.session(simulator, random: { Double.random(in: 0..<1) })

        // When it is rolled out with fleet's ceiling a little above the simulator's limit
        let outcome = try await time.run {
            try await session.rollout(
                template, options: testOptions { ($0.maxAttempts, $0.concurrency, $0.rate) = (12, 16, 12) })
        }

        // Then it converges, and no project got more than --max-attempts requests of a kind
        #expect(outcome.end == .finished)
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 40])
        for project in projects {
            #expect(simulator.profile(space: project.space, projectID: project.projectID) == project.secureProfile)
            #expect(simulator.requests(project: project.projectID, method: "GET") <= 12)
            #expect(simulator.requests(project: project.projectID, method: "PUT") <= 12)
        }
        #expect(
            try fixture.database.column(
                "SELECT DISTINCT error_kind FROM attempts WHERE error_kind IS NOT NULL ORDER BY 1") as [String]
                == ["network", "rate_limited", "server"])
    }

    @Test func unauthorizedAndValidationFailAtOnceWithTheAPIsDetail() async throws {
        let projects = TestProject.make(3)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[0].projectID]
        let simulator = try fixture.simulator(faults)
        // Given a project whose live profile holds a codec the API no longer accepts
        var legacy = SignalWireSimulator.initialProfile(space: projects[1].space, projectID: projects[1].projectID)
        legacy.defaultCodecs = ["G729"]
        simulator.setProfile(legacy, space: projects[1].space, projectID: projects[1].projectID)

        let outcome = try await fixture.session(simulator).rollout(
            try Template(name: "t", text: #"{"default_encryption": "required"}"#), options: testOptions())

        let report = try StatusReport.load(
            try fixture.database.requireRun(outcome.runID), from: fixture.database, now: Date(), allProjects: true)
        let byID = Dictionary(uniqueKeysWithValues: report.projects.map { ($0.projectID, $0) })
        #expect(byID[projects[0].projectID]?.status == .failed)
        #expect(byID[projects[0].projectID]?.errorKind == .unauthorized)
        #expect(byID[projects[0].projectID]?.attempts == 1)
        #expect(byID[projects[0].projectID]?.httpStatus == 401)
        #expect(byID[projects[1].projectID]?.errorKind == .validation)
        #expect(
            byID[projects[1].projectID]?.error
                == "default_codecs[0] \"G729\" is not one of OPUS, G722, PCMU, PCMA, VP8, H264")
        #expect(byID[projects[1].projectID]?.attempts == 2)
        #expect(byID[projects[2].projectID]?.status == .succeeded)
        #expect(simulator.requests(project: projects[0].projectID, method: "GET") == 1)
        #expect(simulator.requests(project: projects[1].projectID, method: "PUT") == 1)
    }

    @Test func aBadTemplateSendsNothingAndRecordsNoRun() async throws {
        let projects = TestProject.make(3)
        let fixture = try Fixture(
            projects: projects,
            csv: TestProject.csv(projects) { $0.projectID == projects[1].projectID ? "," : ",+15550001111" })
        let simulator = try fixture.simulator()
        let session = try fixture.session(simulator)

        // An unknown key is found when the template is read
        #expect(throws: FleetError.self) {
            try Template(name: "t", text: #"{"default_codecs": ["OPUS"], "colour": "blue"}"#)
        }

        // A placeholder one project cannot fill stops the rollout before any request
        let error = await #expect(throws: FleetError.self) {
            _ = try await session.rollout(try Template(name: "t.json", text: secureTemplate), options: testOptions())
        }
        #expect(error?.status == .dataError)
        #expect(
            error?.details == [
                "t.json: placeholder {{send_as}} has no value; add a send_as column to the inventory CSV and import it again (1 of 3 projects: \(projects[1].space) \(projects[1].projectID))"
            ])
        #expect(simulator.statistics.total == 0)
        #expect(try fixture.database.scalar("SELECT count(*) FROM runs") == 0)
    }

    @Test func aFailedCanaryHaltsTheRunAndLeavesTheRestPending() async throws {
        // Given 20 projects over 4 spaces; the run takes spaces in turn, so its third task is the
        // first project of space2, projects[2], whose token is revoked
        let projects = TestProject.make(20)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[2].projectID]
        let simulator = try fixture.simulator(faults)

        let outcome = try await fixture.session(simulator).rollout(template, options: testOptions { $0.canary = 5 })

        #expect(outcome.end == .halted("wave 1 of 2: 1 of 5 projects failed"))
        #expect(try fixture.database.requireRun(outcome.runID).state == .halted)
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 4, "failed": 1, "pending": 15])
        let order: [String] = try fixture.database.column(
            "SELECT p.project_id FROM tasks t JOIN projects p ON p.id = t.project_ref ORDER BY t.position")
        #expect(order[2] == projects[2].projectID)
        #expect(order.dropFirst(5).allSatisfy { simulator.requests(project: $0, method: "GET") == 0 })
    }

    @Test func maxFailuresStopsStartingTasks() async throws {
        let projects = TestProject.make(30)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.revoked = Set(projects.prefix(12).map(\.projectID))
        let simulator = try fixture.simulator(faults)

        let outcome = try await fixture.session(simulator).rollout(
            template, options: testOptions { ($0.concurrency, $0.maxFailures) = (1, .percent(10)) })

        #expect(outcome.end == .halted("--max-failures 10%: 3 projects failed"))
        let states = try fixture.database.taskStates(run: outcome.runID)
        #expect(states["failed"] == 3)
        #expect(states["pending", default: 0] > 0)
        #expect(states.values.reduce(0, +) == 30)
    }

    @Test(arguments: [1, 13])
    func requestsInFlightAreExactlyTheConcurrencyWhenTheTransportAllowsMore(concurrency: Int) async throws {
        // Given a transport without a connection limit and 15 ms answers
        let projects = TestProject.make(160)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.latency = .milliseconds(15)
        let time = VirtualTime()
        let simulator = try fixture.simulator(faults, clock: time.clock)

        _ = try await time.run {
            try await fixture.session(simulator).rollout(
                template, options: testOptions { $0.concurrency = concurrency })
        }

        // Then the executor alone kept the requests in flight at its concurrency, and used all of it
        // once each space's careful start was over
        #expect(simulator.statistics.peakInFlight == concurrency)
        #expect(simulator.statistics.total == 320)
    }

    @Test func aSpaceNeverSeesMoreThanItsRate() async throws {
        // Given one space of 15 projects and --rate 20 (a burst of 2): 30 requests
        let projects = TestProject.make(15, spaces: 1)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        let simulator = try fixture.simulator(clock: time.clock)

        _ = try await time.run {
            try await fixture.session(simulator).rollout(
                template, options: testOptions { ($0.rate, $0.concurrency) = (20, 16) })
        }

        // Then no second holds more than the rate plus the burst, and the 30 requests take about 1.5 s
        let arrivals = simulator.statistics.arrivals["space0"] ?? []
        #expect(arrivals.count == 30)
        #expect(simulator.peakRequests(space: "space0", within: .seconds(1)) <= 22)
        #expect(arrivals.max()! - arrivals.min()! >= .milliseconds(1400))
        #expect(arrivals.max()! - arrivals.min()! <= .milliseconds(1500))
    }

    @Test func backoffIsExponentialWithFullJitterOnTheInjectedClock() async throws {
        // Given every project's first three requests answered 503, and jitter fixed at one half
        let projects = TestProject.make(1)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.failFirst = 3
        let time = VirtualTime()
        let simulator = try fixture.simulator(faults, clock: time.clock)

        let outcome = try await time.run {
            try await fixture.session(simulator).rollout(template, options: testOptions())
        }

        // Then the requests went at 0, 0.125 s, 0.375 s and 0.875 s (half of 0.25 s × 2^n between them)
        #expect(outcome.end == .finished)
        #expect(
            simulator.statistics.arrivals["space0"]?.prefix(4) == [
                .zero, .milliseconds(125), .milliseconds(375), .milliseconds(875),
            ])
        #expect(try fixture.database.taskStates(run: outcome.runID) == ["succeeded": 1])
    }

    @Test func retryAfterIsHonouredOnTheInjectedClock() async throws {
        // Given a limit of one request per second per space
        let projects = TestProject.make(2, spaces: 1)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.rateLimit = 1
        let time = VirtualTime()
        let simulator = try fixture.simulator(faults, clock: time.clock)

        let outcome = try await time.run {
            try await fixture.session(simulator).rollout(
                template, options: testOptions { ($0.concurrency, $0.maxAttempts) = (1, 3) })
        }

        // Then each 429 was waited out for its Retry-After of 1 s, not a jittered backoff
        #expect(outcome.end == .finished)
        let limited: Int? = try fixture.database.scalar(
            "SELECT count(*) FROM attempts WHERE http_status = 429 AND error_kind = 'rate_limited'")
        #expect(limited ?? 0 >= 1)
        let waits: [Double] = try fixture.database.column(
            """
            SELECT (julianday(b.started_at) - julianday(a.started_at)) * 86400 FROM attempts a JOIN attempts b ON b.task_id = a.task_id AND b.number = a.number + 1
            WHERE a.http_status = 429
            """)
        #expect(!waits.isEmpty)
        #expect(waits.allSatisfy { $0 >= 0.999 && $0 < 1.1 }, "\(waits)")
    }

    @Test func aTaskWaitingForItsRetryGivesItsSlotToTheNextTask() async throws {
        // Given one slot, and every project's first request answered 503
        let projects = TestProject.make(2, spaces: 1)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.failFirst = 1
        let time = VirtualTime()
        let simulator = try fixture.simulator(faults, clock: time.clock)

        _ = try await time.run {
            try await fixture.session(simulator).rollout(template, options: testOptions { $0.concurrency = 1 })
        }

        // Then the second project's first request went out while the first waited for its retry
        let order: [Int64] = try fixture.database.column("SELECT task_id FROM attempts ORDER BY id LIMIT 2")
        #expect(Set(order).count == 2)
    }

    @Test func aRequestPastItsDeadlineIsATimeoutWithNoStatus() async throws {
        // Given a simulator that answers only after 2 s, and a timeout of 0.2 s
        let projects = TestProject.make(1)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        (faults.slowRate, faults.slowDelay) = (1, .seconds(2))
        let time = VirtualTime()
        let simulator = try fixture.simulator(faults, clock: time.clock)

        let outcome = try await time.run {
            try await fixture.session(simulator).rollout(
                template, options: testOptions { ($0.timeoutSeconds, $0.maxAttempts) = (0.2, 2) })
        }

        // Then the task failed as a timeout after both attempts, and no status is recorded for them
        let report = try StatusReport.load(
            try fixture.database.requireRun(outcome.runID), from: fixture.database, now: Date())
        #expect(report.projects.first?.errorKind == .timeout)
        #expect(report.projects.first?.attempts == 2)
        #expect(report.projects.first?.httpStatus == nil)
        #expect(try fixture.database.scalar("SELECT count(*) FROM attempts WHERE http_status IS NULL") == 2)
        #expect(simulator.requests(project: projects[0].projectID, method: "GET") == 2)
    }

    @Test func planReadsOnlyAndReportsTheChanges() async throws {
        let projects = TestProject.make(4)
        let fixture = try Fixture(projects: projects)
        let simulator = try fixture.simulator()
        simulator.setProfile(projects[0].secureProfile, space: projects[0].space, projectID: projects[0].projectID)

        let entries = try await fixture.session(simulator).plan(
            template, selection: Selection(), options: testOptions())

        #expect(simulator.statistics.total == 4)
        #expect(projects.allSatisfy { simulator.requests(project: $0.projectID, method: "PUT") == 0 })
        let changes = { (project: TestProject) -> [FieldChange]? in
            guard
                case .planned(let current, let desired) = entries.first(where: {
                    $0.project.projectID == project.projectID
                })?.outcome
            else { return nil }
            return current.changes(to: desired)
        }
        #expect(changes(projects[0]) == [])
        #expect(
            changes(projects[1])?.map(\.text) == [
                "default_codecs: [PCMU, PCMA] → [OPUS, G722, PCMU]",
                "default_ciphers: [AES_CM_128_HMAC_SHA1_80] → [AEAD_AES_256_GCM_8, AES_256_CM_HMAC_SHA1_80]",
                "default_encryption: optional → required",
                "default_send_as: null → +15550001111",
            ])
        #expect(try fixture.database.scalar("SELECT count(*) FROM runs") == 0)
    }

    @Test func aRunTakesSpacesInTurnSoThePerSpaceRateDoesNotCapTheWholeRun() async throws {
        // Given 12 projects over 3 spaces, listed space by space in the inventory
        let projects = TestProject.make(12, spaces: 3)
        let fixture = try Fixture(projects: projects)

        _ = try await fixture.session(try fixture.simulator()).rollout(template, options: testOptions())

        let spaces: [String] = try fixture.database.column(
            """
            SELECT s.name FROM tasks t JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id ORDER BY t.position
            """)
        #expect(spaces == Array(repeating: ["space0", "space1", "space2"], count: 4).flatMap { $0 })
    }
}

/// Moves on by `step` each time it is read; a sleep only yields (the reads carry time forward).
final class SlippingClock: FleetClock {
    private let ticks = Mutex<Int64>(0)
    let step: Duration

    init(step: Duration) { self.step = step }

    func now() -> Duration {
        step
            * ticks.withLock {
                $0 += 1
                return $0
            }
    }

    func date() -> Date { Date(timeIntervalSince1970: 1_800_000_000 + now().seconds) }

    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        await Task.yield()
    }
}

/// `body`'s result, or nil if it has not returned within `limit` of real time (it is cancelled).
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
}
