import FleetModel
import Foundation

/// Which request of a task comes next: read the profile, or write the merged one.
package enum RequestPhase: Sendable, Equatable {
    case read
    case write(SipProfile)

    var verb: HTTPVerb {
        if case .read = self { .get } else { .put }
    }
}

/// Where one task stands between two requests.
package struct TaskCursor: Sendable, Equatable {
    /// Its place in the execution's work.
    package var index: Int
    package var phase: RequestPhase = .read
    /// Attempts of the current request.
    package var attempt = 0
    /// HTTP attempts of the task, all requests and executions, for numbering.
    package var requests: Int
    package var hasBefore: Bool
    /// A read after a write that got no answer: it tells whether the write landed, and counts
    /// against the write's attempts.
    package var confirming: Bool

    package init(
        index: Int, phase: RequestPhase = .read, attempt: Int = 0, requests: Int, hasBefore: Bool,
        confirming: Bool = false
    ) {
        self.index = index
        self.phase = phase
        self.attempt = attempt
        self.requests = requests
        self.hasBefore = hasBefore
        self.confirming = confirming
    }
}

/// What the scheduler does with the task after one answer.
package enum StepNext: Sendable, Equatable {
    /// Send the next request (the write after a read) as soon as the space allows.
    case send(TaskCursor)
    /// Send the same request again after a wait, holding no concurrency slot meanwhile.
    case retry(TaskCursor, after: Duration)
    case finish(TaskOutcome)
}

/// Everything a step reads besides the cursor and the answer.
package struct StepContext: Sendable {
    package enum Mode: Sendable { case apply, plan }

    package var mode: Mode
    package var force: Bool
    package var patch: ProfilePatch
    /// For a saved plan or a rollback: what the project must hold for the write to go ahead.
    package var expected: ExpectedProfile?
    package var policy: RetryPolicy
    package var taskID: Int64
    /// When the request left, by the wall clock, and how long it took.
    package var startedAt: Date
    package var duration: Duration
    /// A uniform draw in [0, 1) for the backoff's jitter.
    package var jitter: Double

    package init(
        mode: Mode, force: Bool, patch: ProfilePatch, expected: ExpectedProfile? = nil, policy: RetryPolicy,
        taskID: Int64,
        startedAt: Date, duration: Duration, jitter: Double
    ) {
        self.mode = mode
        self.force = force
        self.patch = patch
        self.expected = expected
        self.policy = policy
        self.taskID = taskID
        self.startedAt = startedAt
        self.duration = duration
        self.jitter = jitter
    }
}

/// The pure heart of the executor: `(phase, answer) → (record, next)`. Per task: read, merge,
/// skip if unchanged (unless forced), write the "before" and send the write, check the answer
/// equals what was sent; retry what is transient, fail the rest. No I/O, no clock, no state.
package enum TaskStep {
    package struct Output: Sendable, Equatable {
        /// What to commit before going on (nil in plan mode, which records nothing).
        package var record: TaskUpdate?
        package var next: StepNext
    }

    package static func step(
        _ cursor: TaskCursor, answer: Result<SignalWireAPI.Answer, RequestFailure>, context: StepContext
    ) -> Output {
        var cursor = cursor
        cursor.attempt += 1
        cursor.requests += 1
        let status: Int? =
            switch answer {
            case .success(let answer): answer.status
            case .failure(let failure): failure.httpStatus
            }
        let attempt = TaskUpdate.Attempt(
            number: cursor.requests, method: cursor.phase.verb.rawValue, startedAt: context.startedAt,
            duration: context.duration, httpStatus: status, failure: answer.failure)
        var record = TaskUpdate(
            taskID: context.taskID, attempt: attempt, state: .running, attempts: cursor.requests, httpStatus: status)
        let next: StepNext
        switch (cursor.phase, answer) {
        case (.read, .success(let answer)):
            next = read(answer, cursor: cursor, context: context, record: &record)
        case (.write(let desired), .success(let answer)):
            next = wrote(answer, desired: desired, record: &record)
        case (_, .failure(let failure)):
            next = failed(failure, cursor: cursor, context: context)
        }
        if case .finish(.failed(let failure)) = next {
            record.errorKind = failure.kind
            record.error = failure.message
        } else if case .retry = next, case .failure(let failure) = answer {
            record.errorKind = failure.kind
            record.error = failure.message
        }
        if case .finish(let outcome) = next { record.state = outcome.taskState }
        return Output(record: context.mode == .plan ? nil : record, next: next)
    }

    private static func read(
        _ answer: SignalWireAPI.Answer, cursor: TaskCursor, context: StepContext, record: inout TaskUpdate
    ) -> StepNext {
        let missing = context.patch.fields.filter { !answer.fields.contains($0) && !$0.nullMeansEmpty }
        if !missing.isEmpty {
            return .finish(
                .failed(
                    RequestFailure(
                        kind: .protocol, httpStatus: answer.status,
                        message:
                            "the profile the API answered has no \(missing.map(\.key).sorted().joined(separator: ", ")); fleet could not restore it later, so it wrote nothing"
                    )))
        }
        let current = answer.profile
        let desired = context.patch.applied(to: current)
        // With a "before" on record, an earlier write landed (its answer was lost to a crash, a
        // timeout or a reset): this run changed the project, and this read is its "after".
        if context.mode == .apply && cursor.hasBefore && current.hasSameSettings(as: desired) {
            record.after = answer.json
            return .finish(.succeeded)
        }
        let unchanged = !context.force && current.hasSameSettings(as: desired)
        // Someone else's later change is never written over; a dry run (plan mode) says so too.
        if !unchanged, let expected = context.expected, !current.hasSameSettings(as: expected.profile) {
            return .finish(
                .failed(
                    RequestFailure(
                        kind: .conflict, httpStatus: answer.status, message: expected.conflict(with: current))))
        }
        if context.mode == .plan { return .finish(.planned(current: current, desired: desired)) }
        if unchanged { return .finish(.unchanged) }
        if !cursor.hasBefore { record.before = answer.json }
        var write = cursor
        write.phase = .write(desired)
        write.attempt = cursor.confirming ? cursor.attempt : 0
        write.hasBefore = true
        write.confirming = false
        return .send(write)
    }

    private static func wrote(_ answer: SignalWireAPI.Answer, desired: SipProfile, record: inout TaskUpdate) -> StepNext
    {
        record.after = answer.json
        if answer.profile.hasSameSettings(as: desired) { return .finish(.succeeded) }
        let differences = desired.changes(to: answer.profile).map {
            "\($0.field) is \($0.new.shortText), not \($0.old.shortText)"
        }
        return .finish(
            .failed(
                RequestFailure(
                    kind: .protocol, httpStatus: answer.status,
                    message:
                        "the API answered the PUT with a different profile: "
                        + differences.joined(separator: "; ").escapingControlCharacters)))
    }

    /// A transient failure is retried; a write that got no answer at all (it may have landed) is
    /// followed by a read that tells, not by the same write.
    private static func failed(_ failure: RequestFailure, cursor: TaskCursor, context: StepContext) -> StepNext {
        if let delay = context.policy.delay(after: failure, attempt: cursor.attempt, unit: context.jitter) {
            var next = cursor
            if case .write = cursor.phase, failure.httpStatus == nil {
                (next.phase, next.confirming) = (.read, true)
            }
            return .retry(next, after: delay)
        }
        return .finish(.failed(failure))
    }
}

extension TaskOutcome {
    var taskState: TaskState {
        switch self {
        case .succeeded, .planned: .succeeded
        case .unchanged: .unchanged
        case .failed: .failed
        }
    }
}

extension Result where Failure == RequestFailure {
    var failure: RequestFailure? {
        if case .failure(let failure) = self { failure } else { nil }
    }
}
