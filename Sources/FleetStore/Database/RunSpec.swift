import FleetModel
import Foundation
import GRDB

/// A new run's description.
package struct RunSpec: Sendable {
    package struct Task: Sendable {
        package var projectRef: Int64
        /// The exact body to write: a rollback's "before", a saved plan's planned body.
        package var desired: SipProfile?
        /// A saved plan's read profile; for a rollback, what the run it undoes wrote.
        package var expected: SipProfile?
        /// A task failed as a conflict before any request (a rollback's project that a later run
        /// wrote since): recorded, never sent.
        package var conflict: String?

        package init(
            projectRef: Int64, desired: SipProfile? = nil, expected: SipProfile? = nil, conflict: String? = nil
        ) {
            self.projectRef = projectRef
            self.desired = desired
            self.expected = expected
            self.conflict = conflict
        }
    }

    /// Its tasks, in run order.
    package enum Tasks: Sendable {
        /// One per project, its body rendered from the run's template as it goes: a rollout's,
        /// 8 bytes a project however many it has.
        case projects([Int64])
        /// Each with its exact body, or a conflict: a rollback's, a saved plan's.
        case exact([Task])

        package var count: Int {
            switch self {
            case .projects(let refs): refs.count
            case .exact(let tasks): tasks.count
            }
        }

        /// Those to send, not failed as conflicts before any request.
        package var toSend: Int {
            switch self {
            case .projects(let refs): refs.count
            case .exact(let tasks): tasks.count { $0.conflict == nil }
            }
        }
    }

    package var kind: RunKind
    package var templateName: String
    package var template: String
    package var templateSHA256: String
    package var selection: Selection
    package var options: ExecutionOptions
    package var apiBase: APIBase
    package var rollbackOf: Int64?
    package var planSHA256: String?
    /// The holds in effect on its projects when it was made (none for a rollback).
    package var holds: [HeldField]
    package var tasks: Tasks

    package init(
        kind: RunKind, templateName: String, template: String, templateSHA256: String, selection: Selection,
        options: ExecutionOptions, apiBase: APIBase, rollbackOf: Int64? = nil, planSHA256: String? = nil,
        holds: [HeldField] = [],
        tasks: Tasks
    ) {
        self.kind = kind
        self.templateName = templateName
        self.template = template
        self.templateSHA256 = templateSHA256
        self.selection = selection
        self.options = options
        self.apiBase = apiBase
        self.rollbackOf = rollbackOf
        self.planSHA256 = planSHA256
        self.holds = holds
        self.tasks = tasks
    }
}
