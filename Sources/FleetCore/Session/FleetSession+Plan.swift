import FleetEngine
import FleetModel
import FleetStore
import Foundation

extension FleetSession {
    package struct PlanEntry: Sendable {
        package var project: Project
        /// `.planned` with the profile read and the one a rollout would write, `.failed` when the
        /// profile could not be read, nil when the plan was interrupted first.
        package var outcome: TaskOutcome?
        /// The holds in effect on the project: its fields a rollout leaves as they are live.
        package var holds: [Hold] = []
    }

    /// Reads every selected profile (GET only) and says what a rollout would change. Records nothing.
    package func plan(_ template: Template, selection: Selection, options: ExecutionOptions) async throws -> [PlanEntry]
    {
        let (work, holds) = try renderedWork(template, selection: selection)
        let byProject = Dictionary(grouping: holds, by: \.projectRef)
        return try await read(work, apiBase: apiBase, options: options).map { entry in
            var entry = entry
            entry.holds = byProject[entry.project.id] ?? []
            return entry
        }
    }

    /// GET only, for plan and verify: each task's outcome, `.planned` with what it read.
    private func read(_ work: [TaskWork], apiBase: APIBase, options: ExecutionOptions) async throws -> [PlanEntry] {
        progress.update { $0.total = work.count }
        let batch = try await dispatch.withDispatcher(options, apiBase: apiBase, mode: .plan, recorder: nil) {
            dispatcher in
            var book = SpaceBook()
            let feed = ArrayFeed(work)
            let positions = 0..<(work.map(\.position).max().map { $0 + 1 } ?? 0)
            return try await dispatcher.run(
                feed, feed.spaces(at: positions), at: positions, failureLimit: nil, spaces: &book)
        }
        return work.map { item in
            let outcome =
                batch.outcomes[item.position]
                ?? batch.unreachable[item.project.space].map {
                    .failed(RequestFailure(kind: .unreachable, message: $0))
                }
            return PlanEntry(project: item.project, outcome: outcome)
        }
    }
}

extension FleetSession {
    /// A saved plan of `entries` (the projects that would change), made now against this API base.
    package func planFile(_ template: Template, entries: [PlanEntry]) throws -> PlanFile {
        let changing = entries.compactMap { entry -> PlanFile.Entry? in
            guard case .planned(let current, let desired) = entry.outcome, !current.hasSameSettings(as: desired) else {
                return nil
            }
            return PlanFile.Entry(
                space: entry.project.space, project_id: entry.project.projectID, label: entry.project.label,
                read: current, write: desired.writable)
        }
        return try PlanFile(
            body: PlanFile.Body(
                created_at: FleetDatabase.timestamp(clock.date()), database_id: try database.identity(),
                api_base: apiBase.template,
                template_name: template.name, template: template.text, template_sha256: template.sha256,
                projects: changing, holds: entries.flatMap { $0.holds.map(\.held) }))
    }

    /// Prepares a rollout of exactly a saved plan: its bodies to its projects, each written only
    /// if its live profile still equals the one the plan read (otherwise `conflict`).
    package func prepareRollout(plan: PlanFile, options: ExecutionOptions) throws -> PreparedRun {
        try plan.check(database: database)
        let (projects, entries, skipped) = try planProjects(plan)
        try checkHolds(plan.body.holds ?? [], of: projects, made: "the plan \(plan.body.template_name) was made")
        for project in projects { try token(of: project) }
        if projects.isEmpty {
            throw FleetError(
                "the plan has no project to write (none would change, or all are disabled); nothing to do.",
                status: .usage)
        }
        let spec = RunSpec(
            kind: .rollout, templateName: plan.body.template_name, template: plan.body.template,
            templateSHA256: plan.body.template_sha256, selection: Selection(), options: options, apiBase: apiBase,
            planSHA256: plan.sha256, holds: plan.body.holds ?? [],
            tasks: .exact(
                projects.indices.map {
                    RunSpec.Task(projectRef: projects[$0].id, desired: entries[$0].write, expected: entries[$0].read)
                }))
        let preflight = Preflight(
            what: "rollout of the plan for \(plan.body.template_name) (plan sha256 \(plan.sha256.prefix(12)))",
            projects: projects.count, spaces: Self.spaces(projects), apiBase: apiBase, options: options,
            skipped: skipped)
        return PreparedRun(
            preflight: preflight, start: .new(spec), tasks: projects.count, options: options, apiBase: apiBase)
    }

    /// Refuses to write bodies made with other holds than those in effect now on `projects` and
    /// on the projects `recorded` names (`made`: `the plan … was made`, `run 3 was planned`).
    func checkHolds(_ recorded: [HeldField], of projects: [Project], made: String) throws {
        let at = clock.date()
        let keys = Set(projects.map(\.spaceAndID) + recorded.map { "\($0.space)/\($0.project_id)" })
        let now = Set(
            try database.holds().filter { $0.isInEffect(at: at) && keys.contains("\($0.space)/\($0.projectID)") }.map(
                \.held.key))
        let then = Set(recorded.map(\.key))
        guard now != then else { return }
        let changes =
            now.subtracting(then).sorted().map { "\($0) is held now" }
            + then.subtracting(now).sorted().map { "\($0) is no longer held" }
        throw FleetError(
            "the holds changed since \(made): \(changes.prefix(3).joined(separator: ", "))\(changes.count > 3 ? ", …" : ""); its bodies would undo or ignore them. Make a new plan with `\(database.hint("plan TEMPLATE.json --out plan.json"))`.",
            status: .usage)
    }

    /// The plan's projects in the inventory, enabled ones with their entries, and those
    /// disabled since the plan.
    private func planProjects(_ plan: PlanFile) throws -> (
        projects: [Project], entries: [PlanFile.Entry], skipped: [Project]
    ) {
        let inventory = Dictionary(
            uniqueKeysWithValues: try database.projects(Selection(includeDisabled: true)).map {
                ($0.spaceAndID, $0)
            })
        var projects: [Project] = []
        var entries: [PlanFile.Entry] = []
        var skipped: [Project] = []
        for entry in plan.body.projects {
            guard let project = inventory["\(entry.space)/\(entry.project_id)"] else {
                throw FleetError(
                    "the plan's project \(entry.project_id) (space \(entry.space)) is not in \(database.path); import it, or make a new plan."
                )
            }
            if project.enabled {
                projects.append(project)
                entries.append(entry)
            } else {
                skipped.append(project)
            }
        }
        return (projects, entries, skipped)
    }

    /// What `fleet verify` found: per project the run wrote, its live profile against what the run
    /// wrote (`.planned(current: live, desired: written)`), and the projects whose write the run
    /// never confirmed that still hold their "before" (not written: `fleet retry` finishes them).
    package struct Verification: Sendable {
        package var run: Run
        package var entries: [PlanEntry]
        package var unwritten: [Project]
    }

    /// `fleet verify`: reads (GET only) every project `runID` wrote, or may have written (a write
    /// whose answer was lost), and compares its live profile with what the run left there.
    /// Records nothing.
    package func verify(_ runID: Int64?, options: ExecutionOptions) async throws -> Verification {
        let run = try database.requireRun(runID)
        let apiBase = try apiBase(of: run)
        let targets = try rollbackTargets(of: run, force: false).filter { $0.written != nil }
        if targets.isEmpty { return Verification(run: run, entries: [], unwritten: []) }
        let work = try targets.indices.map { index in
            TaskWork(
                taskID: 0, position: index, project: targets[index].project,
                credentials: try credentials(targets[index].project),
                patch: ProfilePatch(exactly: targets[index].written!))
        }
        let entries = try await read(work, apiBase: apiBase, options: options)
        var verification = Verification(run: run, entries: [], unwritten: [])
        for (target, entry) in zip(targets, entries) {
            if !target.confirmed, case .planned(let live, _) = entry.outcome, live.hasSameSettings(as: target.before) {
                verification.unwritten.append(target.project)
            } else {
                verification.entries.append(entry)
            }
        }
        return verification
    }
}

extension FleetSession {
    /// What `fleet rollback RUN --dry-run` found (GET only): per project it would read, the
    /// change that would put it back (none: already as before) or why it could not be read, and
    /// the projects it would leave alone as conflicts.
    package struct RollbackPreview: Sendable {
        package var restore: [PlanEntry] = []
        package var conflicts: [(project: Project, reason: String)] = []
    }

    /// The rollback's own work, read as a plan: the step decides unchanged, restore or conflict
    /// exactly as the rollback will.
    package func previewRollback(_ runID: Int64, options: ExecutionOptions) async throws -> RollbackPreview {
        let run = try database.requireRun(runID)
        let apiBase = try apiBase(of: run)
        let targets = try rollbackTargets(of: run, force: options.force)
        var preview = RollbackPreview()
        for target in targets {
            if let conflict = target.conflict { preview.conflicts.append((target.project, conflict)) }
        }
        for entry in try await read(try rollbackWork(targets, undoing: runID), apiBase: apiBase, options: options) {
            if case .failed(let failure) = entry.outcome, failure.kind == .conflict {
                preview.conflicts.append((entry.project, failure.message))
            } else {
                preview.restore.append(entry)
            }
        }
        return preview
    }
}
