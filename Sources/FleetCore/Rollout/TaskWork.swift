import Foundation

/// One task the executor has to carry out, with everything it needs and nothing it must look up.
/// What does not change during a run is held once, by reference: a run of 100,000 tasks copies
/// its array of work (to set the task ids) without copying every project, token and profile.
public struct TaskWork: Sendable {
    public var taskID: Int64
    /// Its place in the run, which decides its wave.
    public var position: Int
    /// HTTP attempts the task made in earlier executions, so attempt numbers go on from there.
    public var previousAttempts: Int
    /// Whether a "before" snapshot exists; a retried task keeps its first.
    public var hasBefore: Bool
    private let fixed: Fixed

    private final class Fixed: Sendable {
        let project: Project
        let credentials: Credentials
        let patch: ProfilePatch
        let expected: SipProfile?

        init(project: Project, credentials: Credentials, patch: ProfilePatch, expected: SipProfile?) {
            self.project = project
            self.credentials = credentials
            self.patch = patch
            self.expected = expected
        }
    }

    public var project: Project { fixed.project }
    public var credentials: Credentials { fixed.credentials }
    public var patch: ProfilePatch { fixed.patch }
    /// For a saved plan: the profile the plan read. A live profile that no longer equals it is a
    /// `conflict`, and nothing is written.
    public var expected: SipProfile? { fixed.expected }

    public init(taskID: Int64, position: Int, project: Project, credentials: Credentials, patch: ProfilePatch, expected: SipProfile? = nil,
                previousAttempts: Int = 0, hasBefore: Bool = false) {
        self.taskID = taskID
        self.position = position
        self.previousAttempts = previousAttempts
        self.hasBefore = hasBefore
        fixed = Fixed(project: project, credentials: credentials, patch: patch, expected: expected)
    }
}

/// How a task ended in one execution.
public enum TaskOutcome: Sendable, Equatable {
    case succeeded
    case unchanged
    case failed(RequestFailure)
    /// `fleet plan`: the profile read and the one a rollout would write.
    case planned(current: SipProfile, desired: SipProfile)
}

/// How an execution (or one wave of it) ended.
public enum ExecutionEnd: Sendable, Equatable {
    case finished
    /// By a wave's failures, --max-failures, a gate or the circuit breaker; the reason says which.
    case halted(String)
    /// By Ctrl-C.
    case interrupted
}
