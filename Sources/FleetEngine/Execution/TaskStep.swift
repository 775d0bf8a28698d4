import FleetModel
import Foundation

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
