import Foundation

extension FleetSession {
    public struct PlanEntry: Sendable {
        public var project: Project
        /// `.planned` with the profile read and the one a rollout would write, `.failed` when the
        /// profile could not be read, nil when the plan was interrupted first.
        public var outcome: TaskOutcome?
    }

    /// Reads every selected profile (GET only) and says what a rollout would change. Records nothing.
    public func plan(_ template: Template, selection: Selection, options: ExecutionOptions) async throws -> [PlanEntry] {
        let projects = try selectedProjects(selection)
        let patches = try template.renderAll(projects)
        let work = try projects.indices.map { index in
            TaskWork(taskID: 0, position: index, project: projects[index], credentials: try credentials(projects[index]), patch: patches[index])
        }
        progress.update { $0.total = work.count }
        let batch = try await withExecutor(options, apiBase: apiBase, mode: .plan, recorder: nil) { executor in
            var book = SpaceBook()
            return try await executor.run(work, indices: work.indices, failureLimit: nil, spaces: &book)
        }
        return projects.indices.map { index in
            let outcome = batch.outcomes[index] ?? batch.unreachable[index].map { .failed(RequestFailure(kind: .unreachable, message: $0)) }
            return PlanEntry(project: projects[index], outcome: outcome)
        }
    }
}
