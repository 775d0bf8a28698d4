import Foundation
import HeapModule

/// How a task ended in one execution.
public enum TaskOutcome: Sendable, Equatable {
    case succeeded
    case unchanged
    case failed(RequestFailure)
    /// `fleet plan`: what a rollout would change (empty: nothing).
    case planned([FieldChange])
}

/// How an execution ended.
public enum ExecutionEnd: Sendable, Equatable {
    case finished
    /// By --canary or --max-failures; the reason says which.
    case halted(String)
    /// By Ctrl-C.
    case interrupted
}

public struct ExecutionResult: Sendable {
    public var end: ExecutionEnd
    /// One entry per task given, `nil` for a task that was not carried to an end.
    public var outcomes: [TaskOutcome?]
}

/// Carries out tasks against the SignalWire API: per task GET, merge, skip if unchanged (unless
/// forced), PUT, verify; at most `concurrency` tasks making requests at once, a token bucket per
/// space, retries with backoff. A task waiting out a backoff gives its slot back: it leaves the
/// task group and is queued by due time, and a timer child wakes the loop when it is due.
public struct Executor: Sendable {
    public enum Mode: Sendable { case apply, plan }

    let client: SignalWireClient
    let options: ExecutionOptions
    let mode: Mode
    let clock: any FleetClock
    let limiter: RateLimiter
    let policy: RetryPolicy
    let recorder: RunRecorder?
    let stop: StopSignal
    let progress: RunProgress
    let random: @Sendable () -> Double

    public init(client: SignalWireClient, options: ExecutionOptions, mode: Mode = .apply, clock: any FleetClock = SystemClock(),
                recorder: RunRecorder?, stop: StopSignal = StopSignal(), progress: RunProgress = RunProgress(),
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.client = client
        self.options = options
        self.mode = mode
        self.clock = clock
        self.limiter = RateLimiter(rate: options.rate, clock: clock)
        self.policy = RetryPolicy(maxAttempts: options.maxAttempts)
        self.recorder = recorder
        self.stop = stop
        self.progress = progress
        self.random = random
    }

    public func execute(_ work: [TaskWork]) async throws -> ExecutionResult {
        var outcomes = [TaskOutcome?](repeating: nil, count: work.count)
        progress.update { $0.total = work.count }
        let failureLimit = options.maxFailures?.limit(total: work.count)
        var start = 0
        if let canary = options.canary, canary > 0, canary < work.count {
            let end = try await schedule(work, 0..<canary, into: &outcomes, failureLimit: nil)
            if end != .finished { return ExecutionResult(end: end, outcomes: outcomes) }
            let failed = outcomes[0..<canary].filter { if case .failed = $0 { true } else { false } }.count
            if failed > 0 {
                return ExecutionResult(end: .halted("canary: \(failed) of \(canary) canary projects failed"), outcomes: outcomes)
            }
            start = canary
        }
        let end = try await schedule(work, start..<work.count, into: &outcomes, failureLimit: failureLimit)
        return ExecutionResult(end: end, outcomes: outcomes)
    }

    private struct Cursor: Sendable {
        var index: Int
        var phase: Phase = .get
        /// Attempts of the current request kind.
        var attempt = 0
        /// HTTP attempts of the task, all kinds and executions, for numbering.
        var requests: Int
        var hasBefore: Bool
    }

    private enum Phase: Sendable { case get, put(SipProfile) }

    private enum Event: Sendable {
        case finished(Int, TaskOutcome)
        case retry(Cursor, Duration)
        /// Cut off by cancellation (a second Ctrl-C) before it could be recorded.
        case abandoned
        case recordFailed(FleetError)
        case timer
        case stopRequested
    }

    private struct Delayed: Comparable {
        var due: Duration
        var sequence: Int
        var cursor: Cursor
        static func < (a: Delayed, b: Delayed) -> Bool { (a.due, a.sequence) < (b.due, b.sequence) }
        static func == (a: Delayed, b: Delayed) -> Bool { a.due == b.due && a.sequence == b.sequence }
    }

    private func schedule(_ work: [TaskWork], _ range: Range<Int>, into outcomes: inout [TaskOutcome?], failureLimit: Int?) async throws -> ExecutionEnd {
        var haltReason: String?
        var recordFailure: FleetError?
        let concurrency = max(1, options.concurrency)
        try await withThrowingTaskGroup(of: Event.self) { group in
            var next = range.lowerBound
            var inFlight = 0
            var delayed = Heap<Delayed>()
            var sequence = 0
            var timerDue: Duration?
            group.addTask { [stop] in
                await stop.wait()
                return .stopRequested
            }
            func mayStart() -> Bool {
                haltReason == nil && recordFailure == nil && !stop.isRequested && !Task.isCancelled
            }
            while true {
                while mayStart() && inFlight < concurrency {
                    let cursor: Cursor
                    if let first = delayed.min, first.due <= clock.now() {
                        cursor = delayed.removeMin().cursor
                        progress.update { $0.retrying -= 1 }
                    } else if next < range.upperBound {
                        cursor = Cursor(index: next, requests: work[next].previousAttempts, hasBefore: work[next].hasBefore)
                        next += 1
                    } else {
                        break
                    }
                    inFlight += 1
                    let item = work[cursor.index]
                    group.addTask { await self.run(item, cursor) }
                }
                if mayStart(), inFlight < concurrency, let first = delayed.min, timerDue.map({ first.due < $0 }) ?? true {
                    timerDue = first.due
                    let wait = first.due - clock.now()
                    group.addTask { [clock] in
                        try? await clock.sleep(for: wait)
                        return .timer
                    }
                }
                let moreToStart = next < range.upperBound || !delayed.isEmpty
                if inFlight == 0 && !(mayStart() && moreToStart) { break }
                guard let event = try await group.next() else { break }
                switch event {
                case .finished(let index, let outcome):
                    inFlight -= 1
                    outcomes[index] = outcome
                    progress.update { counts in
                        switch outcome {
                        case .succeeded, .planned: counts.succeeded += 1
                        case .unchanged: counts.unchanged += 1
                        case .failed: counts.failed += 1
                        }
                    }
                    if case .failed = outcome, let failureLimit, haltReason == nil {
                        let failed = progress.snapshot.failed
                        if failed >= failureLimit {
                            haltReason = "--max-failures \(options.maxFailures!): \(failed) projects failed"
                        }
                    }
                case .retry(let cursor, let delay):
                    inFlight -= 1
                    sequence += 1
                    delayed.insert(Delayed(due: clock.now() + delay, sequence: sequence, cursor: cursor))
                    progress.update { $0.retrying += 1 }
                case .abandoned:
                    inFlight -= 1
                case .recordFailed(let error):
                    inFlight -= 1
                    recordFailure = error
                case .timer:
                    timerDue = nil
                case .stopRequested:
                    break
                }
            }
            progress.update { $0.retrying = 0 }
            group.cancelAll()
        }
        if let recordFailure { throw recordFailure }
        if let haltReason { return .halted(haltReason) }
        if stop.isRequested || Task.isCancelled { return .interrupted }
        return .finished
    }

    /// Carries one task as far as it goes without waiting: to its end, or to a backoff.
    private func run(_ item: TaskWork, _ start: Cursor) async -> Event {
        var cursor = start
        let space = item.project.space
        while true {
            do { try await limiter.acquire(space: space) } catch { return .abandoned }
            let startedAt = Date()
            let started = ContinuousClock.now
            let result: Result<SignalWireClient.Answer, RequestFailure>
            let method: String
            switch cursor.phase {
            case .get:
                method = "GET"
                result = await client.getProfile(space: space, credentials: item.credentials)
            case .put(let desired):
                method = "PUT"
                result = await client.putProfile(space: space, credentials: item.credentials, profile: desired)
            }
            if Task.isCancelled { return .abandoned }
            cursor.attempt += 1
            cursor.requests += 1
            progress.update { $0.requests += 1 }
            let failure: RequestFailure? = if case .failure(let failure) = result { failure } else { nil }
            let attempt = TaskRecord.Attempt(
                number: cursor.requests, method: method, startedAt: startedAt, duration: ContinuousClock.now - started,
                httpStatus: failure?.httpStatus ?? (method == "GET" ? 200 : 201), failure: failure)
            var record = TaskRecord(taskID: item.taskID, attempt: attempt, state: .running, attempts: cursor.requests,
                                    httpStatus: attempt.httpStatus)

            switch (cursor.phase, result) {
            case (.get, .success(let answer)):
                let current = answer.profile
                let desired = item.patch.applied(to: current)
                if mode == .plan {
                    return .finished(cursor.index, .planned(current.changes(to: desired)))
                }
                if !options.force && current.hasSameSettings(as: desired) {
                    // With a "before" on record, an earlier execution's PUT landed (its answer was
                    // lost to a crash or a timeout): this run changed the project.
                    let outcome: TaskOutcome = cursor.hasBefore ? .succeeded : .unchanged
                    record.state = cursor.hasBefore ? .succeeded : .unchanged
                    return await commit(record, .finished(cursor.index, outcome))
                }
                if !cursor.hasBefore { record.before = answer.json }
                if let failed = await commitOrFail(record) { return failed }
                cursor.hasBefore = true
                cursor.phase = .put(desired)
                cursor.attempt = 0

            case (.put(let desired), .success(let answer)):
                record.after = answer.json
                if answer.profile.hasSameSettings(as: desired) {
                    record.state = .succeeded
                    return await commit(record, .finished(cursor.index, .succeeded))
                }
                let differences = answer.profile.changes(to: desired).map { "\($0.field) is \($0.old), not \($0.new)" }.joined(separator: "; ")
                let mismatch = RequestFailure(kind: .protocol, httpStatus: attempt.httpStatus,
                                              message: "the API answered the PUT with a different profile: \(differences)")
                record.state = .failed
                record.errorKind = mismatch.kind
                record.error = mismatch.message
                return await commit(record, .finished(cursor.index, .failed(mismatch)))

            case (_, .failure(let failure)):
                record.errorKind = failure.kind
                record.error = failure.message
                if let delay = policy.delay(after: failure, attempt: cursor.attempt, unit: random()) {
                    if mode == .plan { return .retry(cursor, delay) }
                    return await commit(record, .retry(cursor, delay))
                }
                if mode == .plan { return .finished(cursor.index, .failed(failure)) }
                record.state = .failed
                return await commit(record, .finished(cursor.index, .failed(failure)))
            }
        }
    }

    private func commit(_ record: TaskRecord, _ event: Event) async -> Event {
        await commitOrFail(record) ?? event
    }

    private func commitOrFail(_ record: TaskRecord) async -> Event? {
        guard let recorder else { return nil }
        do {
            try await recorder.commit([record])
            return nil
        } catch let error as FleetError {
            return .recordFailed(error)
        } catch {
            return .recordFailed(.internal("cannot record a result: \(error)"))
        }
    }
}
