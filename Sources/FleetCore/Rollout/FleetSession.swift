import AsyncHTTPClient
import Crypto
import Foundation

/// The operations behind plan, rollout, retry and rollback, with their dependencies given: the
/// database, where the API is, the token vault, the clock and the operator's stop signal. The
/// commands build a live one; tests build one on a temporary database and the simulator.
public struct FleetSession: Sendable {
    public let database: FleetDatabase
    public let apiBase: APIBase
    public let vault: TokenVault
    public let clock: any FleetClock
    public let stop: StopSignal
    public let progress: RunProgress
    public let random: @Sendable () -> Double

    public init(database: FleetDatabase, apiBase: APIBase, vault: TokenVault, clock: any FleetClock = SystemClock(),
                stop: StopSignal = StopSignal(), progress: RunProgress = RunProgress(),
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.database = database
        self.apiBase = apiBase
        self.vault = vault
        self.clock = clock
        self.stop = stop
        self.progress = progress
        self.random = random
    }

    // MARK: plan

    public struct PlanEntry: Sendable {
        public var project: Project
        public var outcome: TaskOutcome?
    }

    /// Reads every selected profile (GET only) and says what a rollout would change. Records nothing.
    public func plan(_ template: Template, selection: Selection, options: ExecutionOptions) async throws -> [PlanEntry] {
        let projects = try selectedProjects(selection)
        let patches = try template.renderAll(projects)
        let work = try zip(projects, patches).map { project, patch in
            TaskWork(taskID: 0, project: project, credentials: try credentials(project), patch: patch, previousAttempts: 0, hasBefore: false)
        }
        let result = try await execute(work, options: options, mode: .plan, recorder: nil)
        return zip(projects, result.outcomes).map { PlanEntry(project: $0, outcome: $1) }
    }

    // MARK: rollout, retry, rollback

    public enum RolloutResult: Sendable, Equatable {
        /// --dry-run: every body rendered and valid for this many projects; nothing sent.
        case dryRun(Int)
        case executed(runID: Int64, ExecutionEnd)
    }

    /// Renders the template for every selected project (any problem stops it before a request),
    /// records a run with one task per project, and executes it.
    public func rollout(_ template: Template, selection: Selection, options: ExecutionOptions, dryRun: Bool = false) async throws -> RolloutResult {
        let projects = try selectedProjects(selection)
        let patches = try template.renderAll(projects)
        let credentials = try projects.map(credentials)
        if dryRun { return .dryRun(projects.count) }
        let (run, lock, taskIDs) = try database.startRun(RunSpec(
            kind: .rollout, templateName: template.name, template: template.text, templateSHA256: template.sha256,
            selection: selection, options: options, tasks: projects.map { ($0.id, nil) }))
        let work = projects.indices.map { index in
            TaskWork(taskID: taskIDs[index], project: projects[index], credentials: credentials[index], patch: patches[index],
                     previousAttempts: 0, hasBefore: false)
        }
        return .executed(runID: run.id, try await executeRun(run, lock: lock, work: work, options: options))
    }

    /// Reruns every task of the run that did not end `succeeded` or `unchanged`, with the run's
    /// recorded template (or rollback profiles) and the inventory's current credentials.
    public func retry(_ runID: Int64?, options override: ExecutionOptions?) async throws -> (run: Run, end: ExecutionEnd) {
        let recorded = try database.requireRun(runID)
        let template = recorded.kind == .rollout ? try Template(name: recorded.templateName, text: recorded.template) : nil
        let previousState = database.effectiveState(of: recorded)
        let (run, lock) = try database.resumeRun(recorded.id)
        let options = override ?? run.executionOptions
        let work: [TaskWork]
        do {
            let tasks = try database.unfinishedTasks(of: run.id)
            let patches: [ProfilePatch]
            if let template {
                patches = try template.renderAll(tasks.map(\.project))
            } else {
                patches = tasks.map { ProfilePatch(exactly: $0.desired ?? SipProfile()) }
            }
            work = try tasks.indices.map { index in
                let task = tasks[index]
                return TaskWork(taskID: task.taskID, project: task.project, credentials: try credentials(task.project),
                                patch: patches[index], previousAttempts: task.attempts, hasBefore: task.hasBefore)
            }
        } catch {
            try database.finishRun(run.id, state: previousState == .running ? .interrupted : previousState, haltReason: recorded.haltReason)
            throw error
        }
        return (run, try await executeRun(run, lock: lock, work: work, options: options))
    }

    /// Puts back the profile each project had before `runID` changed it, as a run of its own.
    /// Returns nil when that run changed nothing.
    public func rollback(_ runID: Int64, options: ExecutionOptions) async throws -> (run: Run, end: ExecutionEnd)? {
        let original = try database.requireRun(runID)
        if database.effectiveState(of: original) == .running {
            throw FleetError("run \(runID) is still being executed; wait for it to end (or stop it with Ctrl-C) before rolling it back.", status: .failure)
        }
        let befores = try database.beforeSnapshots(of: runID)
        if befores.isEmpty { return nil }
        let description = "{\"rollback_of\": \(runID)}"
        let byRef = Dictionary(uniqueKeysWithValues: try database.projects(Selection(includeDisabled: true)).map { ($0.id, $0) })
        let (run, lock, taskIDs) = try database.startRun(RunSpec(
            kind: .rollback, templateName: "rollback of run \(runID)", template: description,
            templateSHA256: SHA256.hash(data: Data(description.utf8)).map { String(format: "%02x", $0) }.joined(),
            selection: Selection(), options: options, rollbackOf: runID,
            tasks: befores.map { ($0.projectRef, $0.before.writable) }))
        let work: [TaskWork]
        do {
            work = try befores.indices.map { index in
                let project = byRef[befores[index].projectRef]!
                return TaskWork(taskID: taskIDs[index], project: project, credentials: try credentials(project),
                                patch: ProfilePatch(exactly: befores[index].before), previousAttempts: 0, hasBefore: false)
            }
        } catch {
            try database.finishRun(run.id, state: .interrupted)
            throw error
        }
        return (run, try await executeRun(run, lock: lock, work: work, options: options))
    }

    /// Executes, then records how the run ended. The executor runs in a task of its own so a
    /// second Ctrl-C can cancel it while the ending is still written from here.
    private func executeRun(_ run: Run, lock: RunLock, work: [TaskWork], options: ExecutionOptions) async throws -> ExecutionEnd {
        let recorder = RunRecorder(database: database)
        let execution = Task { try await execute(work, options: options, mode: .apply, recorder: recorder) }
        stop.whenCancellingInFlight { execution.cancel() }
        let end: ExecutionEnd
        var failure: (any Error)?
        switch await execution.result {
        case .success(let result): end = result.end
        case .failure(let error):
            end = .interrupted
            failure = error
        }
        switch end {
        case .finished: try database.finishRun(run.id, state: .finished)
        case .halted(let reason): try database.finishRun(run.id, state: .halted, haltReason: reason)
        case .interrupted: try database.finishRun(run.id, state: .interrupted)
        }
        withExtendedLifetime(lock) {}
        if let failure { throw failure }
        return end
    }

    private func execute(_ work: [TaskWork], options: ExecutionOptions, mode: Executor.Mode, recorder: RunRecorder?) async throws -> ExecutionResult {
        try await HTTPClient.withFleetClient(concurrency: options.concurrency) { http in
            let executor = Executor(
                client: SignalWireClient(http: http, apiBase: apiBase, timeout: options.timeout), options: options, mode: mode,
                clock: clock, recorder: recorder, stop: stop, progress: progress, random: random)
            return try await executor.execute(work)
        }
    }

    /// The selected projects, spaces taken in turn (the first project of each space, then the
    /// second of each, …). `--rate` is per space, so a run ordered space by space would have every
    /// slot waiting on one space's bucket; interleaved, the slots spread over all of them.
    private func selectedProjects(_ selection: Selection) throws -> [Project] {
        let projects = try database.projects(selection)
        if projects.isEmpty {
            let what = selection.isEmpty ? "there are no enabled projects in \(database.path); import some with `fleet import FILE.csv`"
                                         : "no enabled project matches the selection; `fleet projects` lists the inventory"
            throw FleetError(what + ".", status: .usage)
        }
        return Self.interleavedBySpace(projects)
    }

    static func interleavedBySpace(_ projects: [Project]) -> [Project] {
        var rank: [String: Int] = [:]
        let ranked = projects.map { project -> (rank: Int, project: Project) in
            defer { rank[project.space, default: 0] += 1 }
            return (rank[project.space, default: 0], project)
        }
        // Stable: within a rank, spaces keep the inventory's order.
        return ranked.enumerated().sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }.map(\.element.project)
    }

    private func credentials(_ project: Project) throws -> Credentials {
        Credentials(projectID: project.projectID, token: try vault.open(project.storedToken, project: project.projectID))
    }
}
