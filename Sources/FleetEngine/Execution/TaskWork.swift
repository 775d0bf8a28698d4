import FleetModel
import Foundation

/// One task the executor has to carry out, with everything it needs and nothing it must look up.
/// What does not change during a run is held once, by reference: a run of 100,000 tasks copies
/// its array of work (to set the task ids) without copying every project, token and profile.
package struct TaskWork: Sendable {
    package var taskID: Int64
    /// Its place in the run, which decides its wave.
    package var position: Int
    /// HTTP attempts the task made in earlier executions, so attempt numbers go on from there.
    package var previousAttempts: Int
    /// Whether a "before" snapshot exists; a retried task keeps its first.
    package var hasBefore: Bool
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

    package var project: Project { fixed.project }
    package var credentials: Credentials { fixed.credentials }
    package var patch: ProfilePatch { fixed.patch }
    /// For a saved plan: the profile the plan read; for a rollback: what the run it undoes wrote.
    /// A live profile that no longer equals it is a `conflict`, and nothing is written.
    package var expected: ExpectedProfile? { fixed.expected }

    package init(
        taskID: Int64, position: Int, project: Project, credentials: Credentials, patch: ProfilePatch,
        expected: ExpectedProfile? = nil,
        previousAttempts: Int = 0, hasBefore: Bool = false
    ) {
        self.taskID = taskID
        self.position = position
        self.previousAttempts = previousAttempts
        self.hasBefore = hasBefore
        fixed = Fixed(project: project, credentials: credentials, patch: patch, expected: expected)
    }
}
