import Crypto
import FleetEngine
import FleetModel
import FleetStore
import Foundation

extension FleetSession {
    /// Renders the template for every selected project (any problem stops it before a request);
    /// each body is rendered again, and each token opened, as the run reads its tasks.
    package func prepareRollout(_ template: Template, selection: Selection, options: ExecutionOptions) throws
        -> PreparedRun
    {
        let (refs, spaces, holds) = try checkedRollout(template, selection: selection)
        let spec = RunSpec(
            kind: .rollout, templateName: template.name, template: template.text, templateSHA256: template.sha256,
            selection: selection, options: options, apiBase: apiBase, holds: holds.map(\.held),
            tasks: .projects(refs))
        let preflight = Preflight(
            what: "rollout of \(template.name)", projects: refs.count, spaces: spaces, apiBase: apiBase,
            options: options, excluded: try excluded(by: selection, selected: refs.count))
        return PreparedRun(
            preflight: preflight, start: .new(spec), tasks: refs.count, options: options, apiBase: apiBase)
    }

    /// Prepares a rerun of every task of `runID` that did not end succeeded or unchanged (with
    /// `pendingOnly`, of those never carried to an end), with the run's recorded template (or
    /// exact bodies) and the inventory's current credentials. Projects disabled since are skipped.
    /// Nil when nothing is left to do. A run that was rolled back is refused: its retry would
    /// write over the rollback.
    package func prepareRetry(_ runID: Int64?, options override: ExecutionOptions?, pendingOnly: Bool) throws
        -> PreparedRun?
    {
        let run = try database.requireRun(runID)
        if RunLock.isHeld(runID: run.id, database: database.filePath) { throw RunLock.heldError(runID: run.id) }
        if let rollback = try database.rollbacks(of: run.id).first {
            throw FleetError.usage(
                "run \(run.id) was rolled back by run \(rollback); a retry would write it again over the rollback. Start a new rollout instead (`\(database.hint("plan \(ShellWord.quote(run.templateName))"))` shows what it would change)."
            )
        }
        let apiBase = try apiBase(of: run)
        let options = override ?? run.options
        let later = try laterWrites(undoneBy: run, force: options.force)
        let filter = TaskFilter(unfinished: !pendingOnly, enabledOnly: true, skipping: Set(later.keys))
        let feed = try RunFeed(run: run, filter: filter, session: self)
        var check = feed.renderCheck()
        var (count, spaces, skipped, planned) = (0, Set<String>(), [Project](), [Project]())
        try database.forEachTask(of: run.id, TaskFilter(unfinished: !pendingOnly, enabledOnly: false, skipping: [])) {
            task in
            guard task.project.enabled else { return skipped.append(task.project) }
            guard later[task.project.id] == nil else { return }
            _ = try feed.body(of: task, check: &check)
            try token(of: task.project)
            count += 1
            spaces.insert(task.project.space)
            if run.planSHA256 != nil { planned.append(task.project) }
        }
        try check?.finish()
        if count == 0 { return nil }
        if run.planSHA256 != nil {
            try checkHolds(run.holds ?? [], of: planned, made: "run \(run.id)'s plan was made")
        }
        let preflight = Preflight(
            what: "retry of run \(run.id)\(pendingOnly ? " (pending tasks only)" : "")", projects: count,
            spaces: spaces.count, apiBase: apiBase, options: options, skipped: skipped)
        return PreparedRun(
            preflight: preflight, start: .resume(runID: run.id, pendingOnly: pendingOnly), tasks: count,
            filter: filter, options: options, apiBase: apiBase)
    }

    /// For a retry of a rollback: the projects a later run wrote since the run it undoes, which
    /// stay conflicts (none with `force`).
    private func laterWrites(undoneBy run: Run, force: Bool) throws -> [Int64: Int64] {
        guard let undone = run.rollbackOf, !force else { return [:] }
        let sources = try database.rollbackSources(of: undone)
        return Dictionary(
            sources.compactMap { source in source.laterRun.map { (source.projectRef, $0) } }, uniquingKeysWith: max)
    }

    /// Prepares putting back the profile each project had before `runID` changed it, as a run of
    /// its own, never over a later change: a project is written only while it still holds what
    /// the run wrote (each task's expectation), and one a later run wrote since is a conflict at
    /// once. `force` drops both checks. Nil when that run changed nothing.
    package func prepareRollback(_ runID: Int64, options: ExecutionOptions) throws -> PreparedRun? {
        let original = try database.requireRun(runID)
        if database.effectiveState(of: original) == .running {
            throw FleetError(
                "run \(runID) is still being executed; wait for it to end (or stop it with Ctrl-C) before rolling it back.",
                status: .failure)
        }
        let apiBase = try apiBase(of: original)
        let targets = try rollbackTargets(of: original, force: options.force)
        if targets.isEmpty { return nil }
        let toSend = targets.filter { $0.conflict == nil }
        for target in toSend { try token(of: target.project) }
        let description = "{\"rollback_of\": \(runID)}"
        let spec = RunSpec(
            kind: .rollback, templateName: "rollback of run \(runID)", template: description,
            templateSHA256: SHA256.hash(data: Data(description.utf8)).hex, selection: Selection(), options: options,
            apiBase: apiBase, rollbackOf: runID,
            tasks: .exact(
                targets.map {
                    RunSpec.Task(
                        projectRef: $0.project.id, desired: $0.before.writable, expected: $0.written,
                        conflict: $0.conflict)
                }))
        let conflicts = targets.count - toSend.count
        return PreparedRun(
            preflight: Preflight(
                what: "rollback of run \(runID)"
                    + (conflicts > 0 ? " (\(conflicts) written by a later run since, left alone)" : ""),
                projects: toSend.count, spaces: Self.spaces(toSend.map(\.project)), apiBase: apiBase,
                options: options),
            start: .new(spec), tasks: toSend.count, options: options, apiBase: apiBase)
    }

    /// One project a rollback puts back: its "before", what the run wrote there (nil with
    /// `force`: written whatever it holds), and a conflict found without a request.
    struct RollbackTarget {
        var position: Int
        var project: Project
        var before: SipProfile
        var written: SipProfile?
        var confirmed: Bool
        var conflict: String?
    }

    /// The requests of a rollback: each target not already a conflict, its "before" to put back
    /// while it holds what the undone run wrote.
    func rollbackWork(_ targets: [RollbackTarget], undoing runID: Int64) throws -> [TaskWork] {
        try targets.filter { $0.conflict == nil }.map { target in
            TaskWork(
                taskID: 0, position: target.position, project: target.project,
                credentials: try credentials(target.project),
                patch: ProfilePatch(exactly: target.before),
                expected: target.written.map { ExpectedProfile($0, since: .run(runID)) })
        }
    }

    func rollbackTargets(of run: Run, force: Bool) throws -> [RollbackTarget] {
        let sources = try database.rollbackSources(of: run.id)
        let byRef = Dictionary(
            uniqueKeysWithValues: try database.projects(Selection(includeDisabled: true)).map { ($0.id, $0) })
        let projects = sources.map { byRef[$0.projectRef]! }
        // A rollout's write never confirmed: what it sent is its template over the "before".
        let unconfirmed = sources.indices.filter { sources[$0].written == nil }
        var rendered: [Int: SipProfile] = [:]
        if !unconfirmed.isEmpty, run.kind == .rollout {
            let patches = try Template(name: run.templateName, text: run.template).renderAll(
                unconfirmed.map { projects[$0] })
            for (index, patch) in zip(unconfirmed, patches) {
                rendered[index] = patch.applied(to: sources[index].before)
            }
        }
        return sources.indices.map { index in
            let source = sources[index]
            let later = force ? nil : source.laterRun.map { "written by run \($0) since" }
            return RollbackTarget(
                position: index, project: projects[index], before: source.before,
                written: force ? nil : source.written ?? rendered[index], confirmed: source.confirmed, conflict: later)
        }
    }

    /// Records the run (or takes it over), executes it wave by wave, and records how it ended.
    /// A run that halts with `--rollback-on-halt` is rolled back at once, as a run linked to it.
    package func execute(_ prepared: PreparedRun) async throws -> RunOutcome {
        try checkCommands(prepared)
        let handle: RunHandle
        switch prepared.start {
        case .new(let spec):
            handle = try database.startRun(spec, change: prepared.change, now: clock.date())
        case .resume(let runID, let pendingOnly):
            handle = try database.resumeRun(
                runID, options: prepared.options, pendingOnly: pendingOnly, tasks: prepared.tasks,
                change: prepared.change, now: clock.date())
        }
        let feed = try RunFeed(run: handle.run, filter: prepared.filter, session: self)
        let end = try await RunExecutor(
            database: database, dispatch: dispatch, gate: gate, note: note, handle: handle, feed: feed,
            tasks: prepared.tasks,
            options: prepared.options, apiBase: prepared.apiBase, change: prepared.change, notifyTimeout: notifyTimeout
        ).execute()
        var outcome = RunOutcome(runID: handle.run.id, end: end)
        if case .halted = end, prepared.options.rollbackOnHalt, handle.run.kind == .rollout {
            note("fleet: run \(handle.run.id) halted; rolling back the projects it changed (--rollback-on-halt).")
            var options = prepared.options
            (
                options.waves, options.canary, options.bakeSeconds, options.gate, options.rollbackOnHalt,
                options.maxFailures
            ) = (nil, nil, nil, nil, false, nil)
            options.force = false
            if var rollback = try prepareRollback(handle.run.id, options: options) {
                rollback.change = prepared.change
                (rollback.change.notBefore, rollback.change.notAfter) = (nil, nil)
                let result = try await execute(rollback)
                outcome.rollback = RollbackOutcome(runID: result.runID, end: result.end)
            }
        }
        return outcome
    }

    /// What the run will run later (its gate, its notify command) can run now, and its window
    /// has not closed: found before anything is recorded or sent, not after the first wave.
    package func checkCommands(_ prepared: PreparedRun) throws {
        if let command = prepared.options.gate { try gate.check(command) }
        if let command = prepared.change.notify {
            try ShellGate.checkProgram(
                of: command, option: "--notify", environment: ProcessInfo.processInfo.environment)
        }
        if let end = prepared.change.notAfter, end <= clock.date() {
            throw FleetError.usage(
                "the change window closed at \(WallTime.text(end)) (--not-after); nothing was sent. Give a later --not-after."
            )
        }
    }

    /// What the exclusions of `selection` left out of what it would select without them (nil
    /// without exclusions).
    package func excluded(by selection: Selection, selected: Int) throws -> Preflight.Excluded? {
        guard let text = selection.exclusionText else { return nil }
        return Preflight.Excluded(text: text, projects: try database.count(selection.unexcluded) - selected)
    }

    static func spaces(_ projects: [Project]) -> Int {
        Set(projects.map(\.space)).count
    }
}
