import FleetCore
import FleetSimulator
import FleetTestSupport
import Foundation
import GRDB
import Testing

/// The executor against the in-process simulator over real HTTP, asserting on the simulator's
/// stored profiles and counters and on the database.
@Suite struct RolloutTests {
    static func options(_ change: (inout ExecutionOptions) -> Void = { _ in }) -> ExecutionOptions {
        var options = ExecutionOptions()
        options.rate = 10_000
        change(&options)
        return options
    }

    static func taskStates(_ database: FleetDatabase, run: Int64) throws -> [String: Int] {
        try database.writer.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM tasks WHERE run_id = ? GROUP BY state", arguments: [run])
                .map { ($0["state"] as String, $0["n"] as Int) })
        }
    }

    static func runID(_ result: FleetSession.RolloutResult) throws -> (Int64, ExecutionEnd) {
        guard case .executed(let id, let end) = result else { throw FleetError.internal("not executed") }
        return (id, end)
    }

    @Test func aRolloutPutsEachProfileOnceAndASecondOneChangesNothing() async throws {
        let projects = TestProject.make(30)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects) { simulator, apiBase in
            let session = try fixture.session(apiBase: apiBase)
            let template = try Template(name: "secure.json", text: secureTemplate)

            // When the template is rolled out
            let (first, end) = try Self.runID(try await session.rollout(template, selection: Selection(), options: Self.options()))

            // Then every profile is the merged one, after exactly one GET and one PUT each
            #expect(end == .finished)
            for project in projects {
                #expect(simulator.profile(space: project.space, projectID: project.projectID) == project.secureProfile)
                #expect(simulator.requests(project: project.projectID, method: "GET") == 1)
                #expect(simulator.requests(project: project.projectID, method: "PUT") == 1)
            }
            #expect(try Self.taskStates(fixture.database, run: first) == ["succeeded": 30])
            let (attempts, befores, afters) = try await fixture.database.writer.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM attempts")!,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM snapshots WHERE kind = 'before'")!,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM snapshots WHERE kind = 'after'")!)
            }
            #expect(attempts == 60)
            #expect(befores == 30)
            #expect(afters == 30)

            // When the same rollout runs again
            let (second, _) = try Self.runID(try await session.rollout(template, selection: Selection(), options: Self.options()))

            // Then every project is unchanged and no PUT was sent
            #expect(try Self.taskStates(fixture.database, run: second) == ["unchanged": 30])
            #expect(projects.allSatisfy { simulator.requests(project: $0.projectID, method: "PUT") == 1 })
        }
    }

    @Test func aRolloutConvergesThroughTransientFaults() async throws {
        // Given 500s, dropped connections, 429s with Retry-After and a 503 for every first request
        let projects = TestProject.make(40)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.failRate = 0.15
        faults.dropRate = 0.1
        faults.rateLimit = 8
        faults.failFirst = 1
        faults.seed = 3
        try await withSimulator(projects, faults) { simulator, apiBase in
            let session = try fixture.session(apiBase: apiBase)
            // fleet's own limit is set a little above the simulator's so some requests meet 429s.
            let options = Self.options { $0.maxAttempts = 12; $0.concurrency = 16; $0.rate = 12 }

            // When it is rolled out
            let (run, end) = try Self.runID(try await session.rollout(try Template(name: "t", text: secureTemplate), selection: Selection(), options: options))

            // Then it converges, and no project got more than --max-attempts requests of a kind
            #expect(end == .finished)
            #expect(try Self.taskStates(fixture.database, run: run) == ["succeeded": 40])
            for project in projects {
                #expect(simulator.profile(space: project.space, projectID: project.projectID) == project.secureProfile)
                #expect(simulator.requests(project: project.projectID, method: "GET") <= 12)
                #expect(simulator.requests(project: project.projectID, method: "PUT") <= 12)
            }
            let kinds = try await fixture.database.writer.read { db in
                try String.fetchAll(db, sql: "SELECT DISTINCT error_kind FROM attempts WHERE error_kind IS NOT NULL ORDER BY 1")
            }
            #expect(kinds == ["network", "rate_limited", "server"])
        }
    }

    @Test func unauthorizedAndValidationFailAtOnceWithTheAPIsDetail() async throws {
        let projects = TestProject.make(3)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[0].projectID]
        try await withSimulator(projects, faults) { simulator, apiBase in
            // Given a project whose live profile holds a codec the API no longer accepts
            var legacy = SignalWireSimulator.initialProfile(space: projects[1].space, projectID: projects[1].projectID)
            legacy.defaultCodecs = ["G729"]
            simulator.setProfile(legacy, space: projects[1].space, projectID: projects[1].projectID)
            let session = try fixture.session(apiBase: apiBase)

            let (run, _) = try Self.runID(try await session.rollout(
                try Template(name: "t", text: #"{"default_encryption": "required"}"#), selection: Selection(), options: Self.options()))

            let report = try StatusReport.load(try #require(try fixture.database.run(run)), from: fixture.database)
            let byID = Dictionary(uniqueKeysWithValues: report.projects.map { ($0.project_id, $0) })
            #expect(byID[projects[0].projectID]?.status == "failed")
            #expect(byID[projects[0].projectID]?.error_kind == "unauthorized")
            #expect(byID[projects[0].projectID]?.attempts == 1)
            #expect(byID[projects[0].projectID]?.http_status == 401)
            #expect(byID[projects[1].projectID]?.error_kind == "validation")
            #expect(byID[projects[1].projectID]?.error == "default_codecs[0] \"G729\" is not one of OPUS, G722, PCMU, PCMA, VP8, H264")
            #expect(byID[projects[1].projectID]?.attempts == 2)
            #expect(byID[projects[2].projectID]?.status == "succeeded")
            #expect(simulator.requests(project: projects[0].projectID, method: "GET") == 1)
            #expect(simulator.requests(project: projects[1].projectID, method: "PUT") == 1)
        }
    }

    @Test func aBadTemplateSendsNothingAndRecordsNoRun() async throws {
        let projects = TestProject.make(3)
        let fixture = try Fixture(projects: projects, csv: TestProject.csv(projects, extraHeader: ",send_as") { $0.projectID == projects[1].projectID ? "," : ",+15550001111" })
        try await withSimulator(projects) { simulator, apiBase in
            let session = try fixture.session(apiBase: apiBase)

            // An unknown key is found when the template is read
            #expect(throws: FleetError.self) { try Template(name: "t", text: #"{"default_codecs": ["OPUS"], "colour": "blue"}"#) }

            // A placeholder one project cannot fill stops the rollout before any request
            let error = await #expect(throws: FleetError.self) {
                _ = try await session.rollout(try Template(name: "t.json", text: secureTemplate), selection: Selection(), options: Self.options())
            }
            #expect(error?.status == .dataError)
            #expect(error?.details == ["t.json: project \(projects[1].projectID) (\(projects[1].space)): placeholder {{send_as}} has no value; add a send_as column to the inventory CSV and import it again"])
            #expect(simulator.statistics.total == 0)
            #expect(try fixture.database.latestRun() == nil)
        }
    }

    @Test func aFailedCanaryHaltsTheRunAndLeavesTheRestPending() async throws {
        // Given 20 projects over 4 spaces; the run takes spaces in turn, so its third task is the
        // first project of space2, projects[2], whose token is revoked
        let projects = TestProject.make(20)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.revoked = [projects[2].projectID]
        try await withSimulator(projects, faults) { simulator, apiBase in
            let session = try fixture.session(apiBase: apiBase)

            let (run, end) = try Self.runID(try await session.rollout(
                try Template(name: "t", text: secureTemplate), selection: Selection(), options: Self.options { $0.canary = 5 }))

            #expect(end == .halted("canary: 1 of 5 canary projects failed"))
            #expect(try fixture.database.run(run)?.state == .halted)
            #expect(try Self.taskStates(fixture.database, run: run) == ["succeeded": 4, "failed": 1, "pending": 15])
            let order = try await fixture.database.writer.read { db in
                try String.fetchAll(db, sql: "SELECT p.project_id FROM tasks t JOIN projects p ON p.id = t.project_ref ORDER BY t.position")
            }
            #expect(order[2] == projects[2].projectID)
            #expect(order.dropFirst(5).allSatisfy { simulator.requests(project: $0, method: "GET") == 0 })
        }
    }

    @Test func maxFailuresStopsStartingTasks() async throws {
        let projects = TestProject.make(30)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.revoked = Set(projects.prefix(12).map(\.projectID))
        try await withSimulator(projects, faults) { _, apiBase in
            let session = try fixture.session(apiBase: apiBase)

            let (run, end) = try Self.runID(try await session.rollout(
                try Template(name: "t", text: secureTemplate), selection: Selection(),
                options: Self.options { $0.concurrency = 1; $0.maxFailures = .percent(10) }))

            #expect(end == .halted("--max-failures 10%: 3 projects failed"))
            let states = try Self.taskStates(fixture.database, run: run)
            #expect(states["failed"] == 3)
            #expect(states["pending", default: 0] > 0)
            #expect(states.values.reduce(0, +) == 30)
        }
    }

    @Test func requestsInFlightNeverExceedTheConcurrency() async throws {
        let projects = TestProject.make(48)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.latency = .milliseconds(15)
        try await withSimulator(projects, faults) { simulator, apiBase in
            let session = try fixture.session(apiBase: apiBase)

            _ = try await session.rollout(try Template(name: "t", text: secureTemplate), selection: Selection(), options: Self.options { $0.concurrency = 6 })

            #expect(simulator.statistics.peakInFlight <= 6)
            #expect(simulator.statistics.peakInFlight >= 3, "the executor should use its slots")
            #expect(simulator.statistics.total == 96)
        }
    }

    @Test func aSpaceNeverSeesMoreThanTheRate() async throws {
        // Given one space of 15 projects and --rate 20 (a burst of 2): 30 requests over about 1.5 s
        let projects = TestProject.make(15, spaces: 1)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects) { simulator, apiBase in
            let session = try fixture.session(apiBase: apiBase)

            _ = try await session.rollout(try Template(name: "t", text: secureTemplate), selection: Selection(),
                                          options: Self.options { $0.rate = 20; $0.concurrency = 16 })

            // Then no second holds more than the rate plus the burst. Measured where requests
            // leave (the attempts' start times): arrival times at a loaded simulator can bunch.
            #expect(simulator.statistics.total == 30)
            let starts = try await fixture.database.writer.read { db in
                try String.fetchAll(db, sql: "SELECT started_at FROM attempts ORDER BY started_at")
            }.compactMap(FleetDatabase.date(from:))
            #expect(starts.count == 30)
            var peak = 0
            for (index, start) in starts.enumerated() {
                peak = max(peak, starts[index...].prefix { $0.timeIntervalSince(start) < 1 }.count)
            }
            #expect(peak <= 20 + 2, "\(peak) requests within one second")
            #expect(starts.last!.timeIntervalSince(starts.first!) >= 1.3, "30 requests at 20/s with a burst of 2 need 1.4 s")
        }
    }

    @Test func backoffIsExponentialWithFullJitterOnTheInjectedClock() async throws {
        // Given every project's first three requests answered 503, and jitter fixed at one half
        let projects = TestProject.make(1)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.failFirst = 3
        try await withSimulator(projects, faults) { _, apiBase in
            let clock = VirtualClock()
            let session = try fixture.session(apiBase: apiBase, clock: clock, random: { 0.5 })

            let (run, end) = try Self.runID(try await session.rollout(try Template(name: "t", text: secureTemplate), selection: Selection(), options: Self.options()))

            // Then it waited 0.125 s, 0.25 s, 0.5 s (half of 0.25 × 2^n), in virtual time only
            #expect(end == .finished)
            #expect(clock.sleeps.filter { $0 > .zero } == [.milliseconds(125), .milliseconds(250), .milliseconds(500)])
            #expect(try Self.taskStates(fixture.database, run: run) == ["succeeded": 1])
        }
    }

    @Test func retryAfterIsHonouredOnTheInjectedClock() async throws {
        // Given a limit of one request per second per space
        let projects = TestProject.make(2, spaces: 1)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.rateLimit = 1
        try await withSimulator(projects, faults) { _, apiBase in
            let clock = VirtualClock()
            let session = try fixture.session(apiBase: apiBase, clock: clock, random: { 0.5 })

            _ = try await session.rollout(try Template(name: "t", text: secureTemplate), selection: Selection(),
                                          options: Self.options { $0.concurrency = 1; $0.maxAttempts = 2 })

            // Then each 429 was waited out for its Retry-After of 1 s, not a jittered backoff
            let limited = try await fixture.database.writer.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM attempts WHERE http_status = 429 AND error_kind = 'rate_limited'")!
            }
            #expect(limited >= 1)
            #expect(clock.sleeps.filter { $0 > .zero }.allSatisfy { $0 == .seconds(1) })
            #expect(clock.sleeps.contains(.seconds(1)))
        }
    }

    @Test func aTaskWaitingForItsRetryGivesItsSlotToTheNextTask() async throws {
        // Given one slot, and every project's first request answered 503
        let projects = TestProject.make(2, spaces: 1)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.failFirst = 1
        try await withSimulator(projects, faults) { _, apiBase in
            let session = try fixture.session(apiBase: apiBase, clock: VirtualClock(), random: { 0.5 })

            _ = try await session.rollout(try Template(name: "t", text: secureTemplate), selection: Selection(), options: Self.options { $0.concurrency = 1 })

            // Then the second project's first request went out while the first waited for its retry
            let order = try await fixture.database.writer.read { db in
                try Int64.fetchAll(db, sql: "SELECT task_id FROM attempts ORDER BY id LIMIT 2")
            }
            #expect(Set(order).count == 2)
        }
    }

    @Test func aRequestPastItsDeadlineIsATimeoutAndIsRetried() async throws {
        // Given a simulator that answers only after 2 s, and a timeout of 0.2 s
        let projects = TestProject.make(1)
        let fixture = try Fixture(projects: projects)
        var faults = SimulatorConfiguration()
        faults.slowRate = 1
        faults.slowDelay = .seconds(2)
        try await withSimulator(projects, faults) { simulator, apiBase in
            let session = try fixture.session(apiBase: apiBase, clock: VirtualClock())

            let (run, _) = try Self.runID(try await session.rollout(try Template(name: "t", text: secureTemplate), selection: Selection(),
                                                                    options: Self.options { $0.timeoutSeconds = 0.2; $0.maxAttempts = 2 }))

            // Then the task failed as a timeout after both attempts
            let report = try StatusReport.load(try #require(try fixture.database.run(run)), from: fixture.database)
            #expect(report.projects.first?.error_kind == "timeout")
            #expect(report.projects.first?.attempts == 2)
            #expect(simulator.requests(project: projects[0].projectID, method: "GET") == 2)
        }
    }

    @Test func planReadsOnlyAndReportsTheChanges() async throws {
        let projects = TestProject.make(4)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects) { simulator, apiBase in
            simulator.setProfile(projects[0].secureProfile, space: projects[0].space, projectID: projects[0].projectID)
            let session = try fixture.session(apiBase: apiBase)

            let entries = try await session.plan(try Template(name: "t", text: secureTemplate), selection: Selection(), options: Self.options())

            #expect(simulator.statistics.total == 4)
            #expect(projects.allSatisfy { simulator.requests(project: $0.projectID, method: "PUT") == 0 })
            let unchanged = entries.first { $0.project.projectID == projects[0].projectID }
            #expect(unchanged?.outcome == .planned([]))
            let changed = entries.first { $0.project.projectID == projects[1].projectID }
            #expect(changed?.outcome == .planned([
                FieldChange(field: "default_codecs", old: "[PCMU, PCMA]", new: "[OPUS, G722, PCMU]"),
                FieldChange(field: "default_ciphers", old: "[AES_CM_128_HMAC_SHA1_80]", new: "[AEAD_AES_256_GCM_8, AES_256_CM_HMAC_SHA1_80]"),
                FieldChange(field: "default_encryption", old: "optional", new: "required"),
                FieldChange(field: "default_send_as", old: "null", new: "+15550001111"),
            ]))
            #expect(try fixture.database.latestRun() == nil)
        }
    }

    @Test func aDryRunSendsAndRecordsNothing() async throws {
        let projects = TestProject.make(4)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects) { simulator, apiBase in
            let result = try await fixture.session(apiBase: apiBase).rollout(
                try Template(name: "t", text: secureTemplate), selection: Selection(), options: Self.options(), dryRun: true)

            #expect(result == .dryRun(4))
            #expect(simulator.statistics.total == 0)
            #expect(try fixture.database.latestRun() == nil)
        }
    }
}

@Suite struct RunOrderTests {
    @Test func aRunTakesSpacesInTurnSoThePerSpaceRateDoesNotCapTheWholeRun() async throws {
        // Given 12 projects over 3 spaces, listed space by space in the inventory
        let projects = TestProject.make(12, spaces: 3)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects) { _, apiBase in
            // When a rollout records its tasks
            _ = try await fixture.session(apiBase: apiBase).rollout(
                try Template(name: "t", text: secureTemplate), selection: Selection(), options: RolloutTests.options())

            // Then the task order cycles through the spaces
            let spaces = try await fixture.database.writer.read { db in
                try String.fetchAll(db, sql: """
                    SELECT s.name FROM tasks t JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id ORDER BY t.position
                    """)
            }
            #expect(spaces == Array(repeating: ["space0", "space1", "space2"], count: 4).flatMap { $0 })
        }
    }
}
