import Foundation

/// What the executor writes about a task after one HTTP attempt: the attempt, maybe a snapshot,
/// and the task's new state, committed together.
package struct TaskUpdate: Sendable, Equatable {
    package struct Attempt: Sendable, Equatable {
        package var number: Int
        package var method: String
        package var startedAt: Date
        package var duration: Duration
        /// What the server sent; nil when no answer arrived.
        package var httpStatus: Int?
        package var failure: RequestFailure?

        package init(
            number: Int, method: String, startedAt: Date, duration: Duration, httpStatus: Int?, failure: RequestFailure?
        ) {
            self.number = number
            self.method = method
            self.startedAt = startedAt
            self.duration = duration
            self.httpStatus = httpStatus
            self.failure = failure
        }
    }

    package var taskID: Int64
    package var attempt: Attempt?
    package var state: TaskState
    package var attempts: Int
    package var httpStatus: Int?
    package var errorKind: ErrorKind?
    package var error: String?
    /// The profile JSON as the API answered it. `before` is inserted only if the task has none
    /// yet: a retried task keeps its first.
    package var before: String?
    package var after: String?

    package init(
        taskID: Int64, attempt: Attempt? = nil, state: TaskState, attempts: Int, httpStatus: Int? = nil,
        errorKind: ErrorKind? = nil, error: String? = nil, before: String? = nil, after: String? = nil
    ) {
        self.taskID = taskID
        self.attempt = attempt
        self.state = state
        self.attempts = attempts
        self.httpStatus = httpStatus
        self.errorKind = errorKind
        self.error = error
        self.before = before
        self.after = after
    }
}
