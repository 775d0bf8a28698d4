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
        return try await read(work, apiBase: apiBase, options: options)
    }

    /// GET only, for plan and verify: each task's outcome, `.planned` with what it read.
    private func read(_ work: [TaskWork], apiBase: APIBase, options: ExecutionOptions) async throws -> [PlanEntry] {
        progress.update { $0.total = work.count }
        let batch = try await withExecutor(options, apiBase: apiBase, mode: .plan, recorder: nil) { executor in
            var book = SpaceBook()
            return try await executor.run(work, indices: work.indices, failureLimit: nil, spaces: &book)
        }
        return work.indices.map { index in
            let outcome = batch.outcomes[index] ?? batch.unreachable[index].map { .failed(RequestFailure(kind: .unreachable, message: $0)) }
            return PlanEntry(project: work[index].project, outcome: outcome)
        }
    }
}

extension FleetSession {
    /// A saved plan of `entries` (the projects that would change), made now against this API base.
    public func planFile(_ template: Template, entries: [PlanEntry]) -> PlanFile {
        let changing = entries.compactMap { entry -> PlanFile.Entry? in
            guard case .planned(let current, let desired) = entry.outcome, !current.hasSameSettings(as: desired) else { return nil }
            return PlanFile.Entry(space: entry.project.space, project_id: entry.project.projectID, label: entry.project.label,
                                  read: current, write: desired.writable)
        }
        return PlanFile(body: PlanFile.Body(created_at: FleetDatabase.timestamp(clock.date()), api_base: apiBase.template,
                                            template_name: template.name, template: template.text, template_sha256: template.sha256,
                                            projects: changing))
    }

    /// Prepares a rollout of exactly a saved plan: its bodies to its projects, each written only
    /// if its live profile still equals the one the plan read (otherwise `conflict`).
    public func prepareRollout(plan: PlanFile, options: ExecutionOptions) throws -> PreparedRun {
        let inventory = Dictionary(uniqueKeysWithValues: try database.projects(Selection(includeDisabled: true)).map { ("\($0.space)/\($0.projectID)", $0) })
        var projects: [Project] = [], entries: [PlanFile.Entry] = [], skipped: [Project] = []
        for entry in plan.body.projects {
            guard let project = inventory["\(entry.space)/\(entry.project_id)"] else {
                throw FleetError("the plan's project \(entry.project_id) (space \(entry.space)) is not in \(database.path); import it, or make a new plan.")
            }
            if project.enabled { (projects, entries) = (projects + [project], entries + [entry]) } else { skipped.append(project) }
        }
        if projects.isEmpty { throw FleetError("the plan has no project to write (none would change, or all are disabled); nothing to do.", status: .usage) }
        let work = try projects.indices.map { index in
            TaskWork(taskID: 0, position: index, project: projects[index], credentials: try credentials(projects[index]),
                     patch: ProfilePatch(exactly: entries[index].write), expected: entries[index].read)
        }
        let spec = RunSpec(kind: .rollout, templateName: plan.body.template_name, template: plan.body.template,
                           templateSHA256: plan.body.template_sha256, selection: Selection(), options: options, apiBase: apiBase,
                           planSHA256: plan.sha256,
                           tasks: projects.indices.map { RunSpec.Task(projectRef: projects[$0].id, desired: entries[$0].write, expected: entries[$0].read) })
        let preflight = Preflight(what: "rollout of the plan for \(plan.body.template_name) (plan sha256 \(plan.sha256.prefix(12)))",
                                  projects: projects.count, spaces: Self.spaces(projects), apiBase: apiBase, options: options, skipped: skipped)
        return PreparedRun(preflight: preflight, start: .new(spec), work: work, options: options, apiBase: apiBase)
    }

    /// `fleet verify`: reads (GET only) every project `runID` wrote and compares its live profile
    /// with what the run left there. Records nothing.
    public func verify(_ runID: Int64?, options: ExecutionOptions) async throws -> (run: Run, entries: [PlanEntry]) {
        let run = try database.requireRun(runID)
        let apiBase = try apiBase(of: run)
        let written = try database.writtenProfiles(of: run.id)
        if written.isEmpty { return (run, []) }
        let work = try written.indices.map { index in
            TaskWork(taskID: 0, position: index, project: written[index].project, credentials: try credentials(written[index].project),
                     patch: ProfilePatch(exactly: written[index].profile))
        }
        return (run, try await read(work, apiBase: apiBase, options: options))
    }
}
