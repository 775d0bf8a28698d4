import FleetModel
import Foundation

/// Sends the requests of a batch of tasks and records their answers; the `Scheduler` decides
/// which request goes when, and `TaskStep` (a pure function) what an answer means for its task.
/// Each HTTP request is one child task of a structured task group; at most `concurrency` are in
/// flight (a request's slot is free once its answer is in, while the answer is committed with
/// the others of its batch, one batch at a time), each space keeps its own rate, a task waiting
/// out a backoff holds no slot, and the circuit breaker stops a space whose host cannot be reached.
package struct Dispatcher: Sendable {
    package let api: SignalWireAPI
    package let options: ExecutionOptions
    package let mode: StepContext.Mode
    package let clock: any FleetClock
    package let recorder: (any TaskRecorder)?
    package let stop: StopSignal
    package let progress: RunProgress
    package let random: @Sendable () -> Double

    package init(
        api: SignalWireAPI, options: ExecutionOptions, mode: StepContext.Mode = .apply, clock: any FleetClock,
        recorder: (any TaskRecorder)?, stop: StopSignal, progress: RunProgress,
        random: @escaping @Sendable () -> Double
    ) {
        self.api = api
        self.options = options
        self.mode = mode
        self.clock = clock
        self.recorder = recorder
        self.stop = stop
        self.progress = progress
        self.random = random
    }

    /// How one batch (a wave) ended and how many of its tasks failed; without a recorder, each
    /// task's outcome by position (none for a task not carried to an end); `unreachable` gives,
    /// per space the circuit breaker stopped with tasks left, the reason.
    package struct Batch: Sendable {
        package var end: ExecutionEnd
        package var failed: Int
        package var outcomes: [Int: TaskOutcome]
        package var unreachable: [String: String]
    }

    /// Carries out the tasks of `feed` at `positions` (in `batch`, the feed's spaces there), none
    /// started at or after `windowEnd`. `spaces` carries each space's rate and the circuit
    /// breaker from one wave to the next.
    package func run(
        _ feed: any TaskFeed, _ batch: [FeedSpace], at positions: Range<Int>, failureLimit: Int?,
        windowEnd: WindowEnd? = nil, spaces: inout SpaceBook
    ) async throws -> Batch {
        var scheduler = Scheduler(
            spaces: batch, positions: positions, failureLimit: failureLimit, windowEnd: windowEnd, spaces: spaces,
            keepOutcomes: recorder == nil, options: options, hosts: api.apiBase, clock: clock, stop: stop,
            progress: progress)
        // The first window before the first request: the start is the same however fast the
        // feed answers.
        if let first = scheduler.feed() { scheduler.fed(try await feed.tasks(at: first, limit: scheduler.window)) }
        defer { spaces = scheduler.spaces }
        try await withThrowingTaskGroup(of: Scheduler.Event.self) { group in
            group.addTask { [stop] in
                await stop.wait()
                return .stopRequested
            }
            try await loop(&scheduler, &group, feed: feed)
            group.cancelAll()
        }
        return try scheduler.batch()
    }

    /// Starts what the scheduler says may start, arms its wake-up, and hands it each event, until
    /// it has nothing in flight and nothing it may start. Answers go to disk a batch at a time:
    /// those that come in while one batch is being committed make the next.
    private func loop(
        _ scheduler: inout Scheduler, _ group: inout ThrowingTaskGroup<Scheduler.Event, any Error>, feed: any TaskFeed
    ) async throws {
        var commits: [Scheduler.Commit] = []
        var committing = false
        while true {
            // One reading of the clock for both: a request not yet due now is due later than
            // `now` for the wake-up too, so its wake-up is always armed.
            let now = clock.now()
            for start in scheduler.startable(now: now) {
                group.addTask { await perform(start.cursor, work: start.work, firstOfTask: start.firstOfTask) }
            }
            if let positions = scheduler.feed() {
                group.addTask { [window = scheduler.window] in await read(feed, at: positions, limit: window) }
            }
            if let wake = scheduler.wakeUp(now: now) {
                group.addTask { [clock] in
                    try? await clock.sleep(for: wake - now)
                    return .timer(wake)
                }
            }
            if scheduler.isDone() { break }
            guard let event = try await group.next() else { break }
            switch event {
            case .recorded, .recordFailed: committing = false
            default: break
            }
            if let commit = scheduler.handle(event) { commits.append(commit) }
            if !committing && !commits.isEmpty {
                committing = true
                group.addTask { [commits] in await record(commits) }
                commits = []
            }
        }
        scheduler.close()
    }

    /// One request of one task, to its answer's step: a child task of the group. Its concurrency
    /// slot is free once the answer is in; the record goes to disk with its batch.
    private func perform(_ cursor: TaskCursor, work item: TaskWork, firstOfTask: Bool) async -> Scheduler.Event {
        let startedAt = clock.date()
        let sent = clock.now()
        let answer =
            switch cursor.phase {
            case .read: await api.getProfile(space: item.project.space, credentials: item.credentials)
            case .write(let desired):
                await api.putProfile(space: item.project.space, credentials: item.credentials, profile: desired)
            }
        if Task.isCancelled { return .abandoned }
        progress.update { $0.requests += 1 }
        let context = StepContext(
            mode: mode, force: options.force, patch: item.patch, expected: item.expected,
            policy: RetryPolicy(maxAttempts: options.maxAttempts), taskID: item.taskID,
            startedAt: startedAt, duration: clock.now() - sent, jitter: random())
        let step = TaskStep.step(cursor, answer: answer, context: context)
        let observation = Observation(
            index: cursor.index, sentAt: sent, status: answer.status, failure: answer.failure, firstOfTask: firstOfTask,
            cursor: cursor)
        return .answered(recorder == nil ? nil : step.record, step.next, observation)
    }

    /// The next window of the batch's tasks: a child task of the group, while half a window
    /// still waits to be sent.
    private func read(_ feed: any TaskFeed, at positions: Range<Int>, limit: Int) async -> Scheduler.Event {
        do {
            return .fed(try await feed.tasks(at: positions, limit: limit))
        } catch let error as FleetError {
            return .feedFailed(error)
        } catch {
            return .feedFailed(.internal("cannot read the run's tasks: \(error)"))
        }
    }

    /// Puts answers' updates on disk before their tasks go on: a child task of the group.
    private func record(_ commits: [Scheduler.Commit]) async -> Scheduler.Event {
        do {
            try await recorder?.commit(commits.map(\.update))
            return .recorded(commits)
        } catch let error as FleetError {
            return .recordFailed(error, count: commits.count)
        } catch {
            return .recordFailed(.internal("cannot record a result: \(error)"), count: commits.count)
        }
    }
}

extension Result where Success == SignalWireAPI.Answer, Failure == RequestFailure {
    var status: Int? {
        switch self {
        case .success(let answer): answer.status
        case .failure(let failure): failure.httpStatus
        }
    }
}
