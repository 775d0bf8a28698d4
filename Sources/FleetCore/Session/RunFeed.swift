import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// A recorded run's tasks as the dispatcher needs them, read from the database a window at a
/// time: each body rendered from the run's template without the fields held now, or the exact
/// body the run recorded (a saved plan's, a rollback's), and each token opened as its task is read.
struct RunFeed: TaskFeed {
    let database: FleetDatabase
    let runID: Int64
    let filter: TaskFilter
    /// Reads wait on GRDB's queue, outside the tasks: virtual time stands still meanwhile.
    private let clock: any FleetClock
    private let template: Template?
    /// A template without placeholders, rendered once.
    private let constant: ProfilePatch?
    private let held: [Int64: Set<ProfileField>]
    private let since: ExpectedProfile.Source
    private let open: @Sendable (Project) throws -> Credentials

    init(run: Run, filter: TaskFilter, session: FleetSession) throws {
        database = session.database
        clock = session.clock
        runID = run.id
        self.filter = filter
        template =
            run.kind == .rollout && run.planSHA256 == nil
            ? try Template(name: run.templateName, text: run.template) : nil
        constant = template?.fixedPatch
        held = template == nil ? [:] : FleetSession.fieldsByProject(try session.holdsInEffect())
        since = run.rollbackOf.map { .run($0) } ?? .plan
        open = { [session] in try session.credentials($0) }
    }

    /// What counts render problems of the run's template (nil when its bodies are recorded whole).
    func renderCheck() -> RenderCheck? { template.map(RenderCheck.init) }

    func spaces(at positions: Range<Int>) async throws -> [FeedSpace] {
        try await clock.waitingOutside { try await database.taskSpaces(of: runID, at: positions, filter) }.map {
            FeedSpace(name: $0.name, tasks: $0.tasks, positions: $0.first...$0.last)
        }
    }

    /// A window of tasks, their bodies rendered and tokens opened on the database's queue: that
    /// is milliseconds of work, which on the loop the requests share would hold back every
    /// answer that came in meanwhile.
    func tasks(at positions: Range<Int>, limit: Int) async throws -> [TaskWork] {
        try await clock.waitingOutside {
            try await database.tasks(of: runID, at: positions, limit: limit, filter) { [self] task in
                let (patch, expected) = try body(of: task)
                return TaskWork(
                    taskID: task.taskID, position: task.position, project: task.project,
                    credentials: try open(task.project), patch: patch, expected: expected,
                    previousAttempts: task.attempts, hasBefore: task.hasBefore)
            }
        }
    }

    /// The task's body and the profile it expects live. With `check` (what a retry does for every
    /// task before it starts), a render problem is counted there and the body is nil.
    func body(of task: PendingTask, check: inout RenderCheck?) throws -> (ProfilePatch, ExpectedProfile?)? {
        let expected = try profile(task.expected, "expected profile", of: task).map {
            ExpectedProfile($0, since: since)
        }
        guard let template else {
            guard let desired = try profile(task.desired, "body to write", of: task) else {
                throw FleetDatabase.damaged("body to write", run: runID, project: task.project.projectID)
            }
            return (ProfilePatch(exactly: desired), expected)
        }
        let held = self.held[task.project.id] ?? []
        if let constant { return (constant.holding(held), expected) }
        if check != nil { return check!.render(task.project).map { ($0.holding(held), expected) } }
        var single = RenderCheck(template)
        if let patch = single.render(task.project) { return (patch.holding(held), expected) }
        do {
            try single.finish()
        } catch let error as FleetError {
            throw FleetError(
                "\(template.name) cannot be rendered any more for \(task.project.heading): the inventory changed during run \(runID). Fix it, then `\(database.hint("retry \(runID)"))`.",
                details: error.details)
        }
        return nil
    }

    private func body(of task: PendingTask) throws -> (ProfilePatch, ExpectedProfile?) {
        var none: RenderCheck?
        guard let body = try body(of: task, check: &none) else {
            throw FleetError.internal("no body for \(task.project.heading)")
        }
        return body
    }

    /// A recorded profile; one that cannot be read back is an error naming the project, never a default.
    private func profile(_ json: String?, _ what: String, of task: PendingTask) throws -> SipProfile? {
        guard let json else { return nil }
        guard let profile = SipProfile.decode(Data(json.utf8)) else {
            throw FleetDatabase.damaged(what, run: runID, project: task.project.projectID)
        }
        return profile
    }
}
