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
        let expected: ExpectedProfile?

        init(project: Project, credentials: Credentials, patch: ProfilePatch, expected: ExpectedProfile?) {
            self.project = project
            self.credentials = credentials
            self.patch = patch
            self.expected = expected
        }
    }

    public var project: Project { fixed.project }
    public var credentials: Credentials { fixed.credentials }
    public var patch: ProfilePatch { fixed.patch }
    /// For a saved plan: the profile the plan read; for a rollback: what the run it undoes wrote.
    /// A live profile that no longer equals it is a `conflict`, and nothing is written.
    public var expected: ExpectedProfile? { fixed.expected }

    public init(taskID: Int64, position: Int, project: Project, credentials: Credentials, patch: ProfilePatch, expected: ExpectedProfile? = nil,
                previousAttempts: Int = 0, hasBefore: Bool = false) {
        self.taskID = taskID
        self.position = position
        self.previousAttempts = previousAttempts
        self.hasBefore = hasBefore
        fixed = Fixed(project: project, credentials: credentials, patch: patch, expected: expected)
    }
}

/// What a project must hold for a write to go ahead: the profile a saved plan read, or the one
/// the run a rollback undoes wrote. Anything else is someone else's later change, not written over.
public struct ExpectedProfile: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case plan
        case run(Int64)
    }

    public var profile: SipProfile
    public var since: Source

    public init(_ profile: SipProfile, since: Source) {
        self.profile = profile
        self.since = since
    }

    /// `changed since run 3: default_codecs: written [OPUS], now [PCMA]`, or for a plan
    /// `changed since the plan: default_codecs: [PCMA] → [PCMU]`.
    func conflict(with live: SipProfile) -> String {
        let changes = profile.changes(to: live)
        switch since {
        case .plan:
            return "changed since the plan: " + changes.map(\.text).joined(separator: "; ").escapingControlCharacters
        case .run(let id):
            let fields = changes.map { "\($0.field): written \($0.old.shortText), now \($0.new.shortText)" }
            return "changed since run \(id): " + fields.joined(separator: "; ").escapingControlCharacters
        }
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
