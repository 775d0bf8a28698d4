import FleetModel
import Foundation

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
