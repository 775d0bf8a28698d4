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

/// A run reads its tasks from the database a window at a time, however many it has: what it
/// holds is a window (and what a slow space has not sent yet), never the whole run.
@Suite struct WindowedRunTests {
    let template = try! Template(name: "secure.json", text: secureTemplate)

    /// Wraps a feed and keeps, at each window asked for, how many tasks were fed and not carried
    /// to an end yet.
    final class CountingFeed: TaskFeed {
        let inner: ArrayFeed
        let progress: RunProgress
        struct Reads { var windows: [Range<Int>] = [], limits: Set<Int> = [], fed = 0, mostHeld = 0 }
        let reads = Mutex(Reads())

        init(_ work: [TaskWork], progress: RunProgress) {
            inner = ArrayFeed(work)
            self.progress = progress
        }

        func spaces(at positions: Range<Int>) -> [FeedSpace] { inner.spaces(at: positions) }

        func tasks(at positions: Range<Int>, limit: Int) -> [TaskWork] {
            let tasks = inner.tasks(at: positions, limit: limit)
            let done = progress.snapshot.done
            reads.withLock {
                $0.mostHeld = max($0.mostHeld, $0.fed - done)
                $0.windows.append(positions)
                $0.limits.insert(limit)
                $0.fed += tasks.count
            }
            return tasks
        }
    }

    @Test func aBatchOfManyWindowsIsReadAWindowAtATimeAndEachTaskIsDoneOnce() async throws {
        // Given 1,500 projects over 5 spaces, 8 requests in flight
        let projects = TestProject.make(1_500, spaces: 5)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        let simulator = try fixture.simulator(clock: time.clock)
        let progress = RunProgress()
        // (in run order: spaces taken in turn, as a rollout orders them)
        let inventory = try fixture.database.projects(Selection())
        var seen: [String: Int] = [:]
        let rank = inventory.map { project -> Int in
            defer { seen[project.space, default: 0] += 1 }
            return seen[project.space, default: 0]
        }
        let interleaved = inventory.indices.sorted { (rank[$0], $0) < (rank[$1], $1) }.map { inventory[$0] }
        let work = try interleaved.enumerated().map { position, project in
            TaskWork(
                taskID: 0, position: position, project: project,
                credentials: Credentials(projectID: project.projectID, token: project.storedToken),
                patch: try template.renderAll([project])[0])
        }
        let feed = CountingFeed(work, progress: progress)
        let setup = DispatchSetup(
            transports: SimulatorTransportProvider(simulator: simulator), caFile: nil, clock: time.clock,
            stop: StopSignal(), progress: progress, random: { 0.5 })

        // When the dispatcher carries them out (reads only, as a plan does)
        let batch = try await time.run {
            try await setup.withDispatcher(
                testOptions { $0.concurrency = 8 }, apiBase: try APIBase(Fixture.apiBase), mode: .plan, recorder: nil
            ) { dispatcher in
                var book = SpaceBook()
                return try await dispatcher.run(
                    feed, feed.spaces(at: 0..<1_500), at: 0..<1_500, failureLimit: nil, spaces: &book)
            }
        }

        // Then every task was read once, in windows of 256 that follow each other, and each was
        // done once; at no read were more than half a window's tasks waiting besides those in flight
        let reads = feed.reads.withLock { $0 }
        #expect(batch.end == .finished)
        #expect(batch.outcomes.count == 1_500)
        #expect(reads.fed == 1_500)
        #expect(reads.limits == [256])
        #expect(reads.windows.count >= 6, "\(reads.windows)")
        #expect(zip(reads.windows, reads.windows.dropFirst()).allSatisfy { $0.lowerBound < $1.lowerBound })
        #expect(reads.mostHeld < 128 + 2 * 8, "held \(reads.mostHeld) tasks when it read a window")
        #expect(projects.allSatisfy { simulator.requests(project: $0.projectID, method: "GET") == 1 })
    }

    @Test func aRolloutAndItsRetryOfMoreTasksThanAWindowDoEveryTaskOnceWaveByWave() async throws {
        // Given 700 projects in 3 spaces, five of the first wave's with a revoked token
        let projects = TestProject.make(700, spaces: 3)
        let fixture = try Fixture(projects: projects)
        let time = VirtualTime()
        let simulator = try fixture.simulator(clock: time.clock)
        let session = try fixture.session(simulator)
        let broken = Set(projects.filter { $0.space == "space1" }.prefix(5).map(\.projectID))
        simulator.setRevoked(broken)

        // When it is rolled out in two waves with 4 in flight
        let first = try await time.run {
            try await session.rollout(
                template, options: testOptions { ($0.concurrency, $0.waves) = (4, [.percent(50), .percent(100)]) })
        }

        // Then the first wave ended with its failures and the second never started
        #expect(first.end == .halted("wave 1 of 2: 5 of 350 projects failed"))
        #expect(try fixture.database.taskStates(run: first.runID) == ["succeeded": 345, "failed": 5, "pending": 350])

        // When the tokens are good again and it is retried, every task left is done, each project
        // written exactly once
        simulator.setRevoked([])
        let retry = try await time.run { try await session.retry(first.runID, options: nil) }
        #expect(retry?.end == .finished)
        #expect(try fixture.database.taskStates(run: first.runID) == ["succeeded": 700])
        for project in projects {
            #expect(simulator.profile(space: project.space, projectID: project.projectID) == project.secureProfile)
            #expect(simulator.requests(project: project.projectID, method: "PUT") == 1)
        }
    }
}
