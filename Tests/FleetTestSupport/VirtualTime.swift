import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation
import Synchronization

/// Discrete-event time for tests. Every task of `run`'s body runs on one serial executor; when
/// none of them can run (each waits for a sleep, an answer or a lock), the clock jumps to the
/// earliest sleep's end and wakes it. So a rollout with 20 ms latencies, backoffs, Retry-After
/// waits, rate limits and bakes takes the virtual time it would take for real, in milliseconds
/// of real time, and the same way every time.
package final class VirtualTime: Sendable {
    package let clock = VirtualClock()

    package init() {}

    /// Runs `body` on virtual time.
    package func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let executor = SerialTaskExecutor(clock: clock)
        executor.start()
        defer { executor.stop() }
        return try await withTaskExecutorPreference(executor) { try await body() }
    }
}

/// A clock whose time moves only when the serial executor is idle (or, outside `VirtualTime.run`,
/// at once by the length of each sleep). It records each sleep asked for.
package final class VirtualClock: FleetClock {
    struct Sleeper {
        var due: Duration
        var sequence: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var now: Duration = .zero
        var sleeps: [Duration] = []
        var sleepers: [Int: Sleeper] = [:]
        var cancelled: Set<Int> = []
        var sequence = 0
        /// Whether a serial executor drives the time; otherwise each sleep advances it.
        var driven = false
        /// Waits for work outside the tasks (a database write on its own queue) under way: time
        /// stands still until they are over.
        var outside = 0
    }

    let state = Mutex(State())
    /// The wall-clock date at virtual time zero.
    package let epoch = Date(timeIntervalSince1970: 1_796_000_000)

    package init() {}

    package func now() -> Duration { state.withLock { $0.now } }

    package func date() -> Date { epoch.addingTimeInterval(now().seconds) }

    /// Every sleep asked for, in order.
    package var sleeps: [Duration] { state.withLock { $0.sleeps } }

    package func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let (id, driven) = state.withLock { state -> (Int, Bool) in
            state.sleeps.append(duration)
            state.sequence += 1
            if !state.driven && duration > .zero { state.now += duration }
            return (state.sequence, state.driven)
        }
        guard driven else {
            await Task.yield()
            return
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state -> Bool in
                    if state.cancelled.remove(id) != nil { return true }
                    state.sleepers[id] = Sleeper(
                        due: state.now + max(duration, .zero), sequence: id, continuation: continuation)
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return sleeper }
                state.cancelled.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    package func waitingOutside<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        state.withLock { $0.outside += 1 }
        // Decremented by the task once it runs again: until then its wake-up is queued or on its way.
        defer { state.withLock { $0.outside -= 1 } }
        return try await work()
    }

    /// Moves time to the earliest sleep's end and wakes every sleeper due then; false when no one
    /// sleeps, or when work outside the tasks is under way (its end will wake someone).
    func advance() -> Bool {
        let due = state.withLock { state -> [Sleeper] in
            guard state.outside == 0,
                let first = state.sleepers.values.min(by: { ($0.due, $0.sequence) < ($1.due, $1.sequence) })
            else { return [] }
            state.now = max(state.now, first.due)
            let woken = state.sleepers.values.filter { $0.due <= state.now }.sorted {
                ($0.due, $0.sequence) < ($1.due, $1.sequence)
            }
            for sleeper in woken { state.sleepers.removeValue(forKey: sleeper.sequence) }
            return woken
        }
        for sleeper in due { sleeper.continuation.resume() }
        return !due.isEmpty
    }
}

/// Runs jobs one at a time on a thread of its own; when it has none, it advances the clock.
final class SerialTaskExecutor: TaskExecutor, @unchecked Sendable {
    private let clock: VirtualClock
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false
    private var thread: Thread?

    init(clock: VirtualClock) {
        self.clock = clock
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func start() {
        clock.state.withLock { $0.driven = true }
        let thread = Thread { [self] in drive() }
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        clock.state.withLock { $0.driven = false }
    }

    private func drive() {
        var index = 0
        while true {
            condition.lock()
            if index >= jobs.count {
                jobs.removeAll(keepingCapacity: true)
                index = 0
            }
            if index < jobs.count {
                let job = jobs[index]
                index += 1
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
                continue
            }
            if stopped {
                condition.unlock()
                return
            }
            condition.unlock()
            // Idle: every task waits. Let time pass to the next wake-up, or wait for outside work.
            if !clock.advance() {
                condition.lock()
                if jobs.isEmpty && !stopped { condition.wait(until: Date().addingTimeInterval(0.05)) }
                condition.unlock()
            }
        }
    }
}
