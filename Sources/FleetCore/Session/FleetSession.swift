import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// The operations behind plan, rollout, retry, rollback and verify, with their dependencies
/// given: the database, where the API is, the token vault, how to reach the API (a transport
/// provider), the clock, the operator's stop signal, the gate runner, and where notes go. The
/// commands build a live one; tests build one on a temporary database and the simulator.
package struct FleetSession: Sendable {
    package let database: FleetDatabase
    /// The API base in effect, and whether the operator gave it (flag or environment) rather
    /// than leaving the default: a run's own API base wins over a default, never over a given one.
    package let apiBase: APIBase
    package let apiBaseGiven: Bool
    package let vault: TokenVault
    package let transports: any TransportProvider
    package let caFile: String?
    package let clock: any FleetClock
    package let stop: StopSignal
    package let progress: RunProgress
    package let gate: any GateRunner
    /// Lines for the operator as the run goes (a wave passed, a gate's verdict).
    package let note: @Sendable (String) -> Void
    package let random: @Sendable () -> Double
    /// How long one `--notify` call may take (30 s; tests shorten it).
    package let notifyTimeout: Duration

    package init(
        database: FleetDatabase, apiBase: APIBase, apiBaseGiven: Bool = true, vault: TokenVault,
        transports: any TransportProvider, caFile: String? = nil, clock: any FleetClock = SystemClock(),
        stop: StopSignal = StopSignal(), progress: RunProgress = RunProgress(),
        gate: any GateRunner = ShellGate(output: { _ in }),
        note: @escaping @Sendable (String) -> Void = { _ in },
        random: @escaping @Sendable () -> Double = { [jitter = JitterSource()] in jitter.next() },
        notifyTimeout: Duration = .seconds(30)
    ) {
        self.database = database
        self.apiBase = apiBase
        self.apiBaseGiven = apiBaseGiven
        self.vault = vault
        self.transports = transports
        self.caFile = caFile
        self.clock = clock
        self.stop = stop
        self.progress = progress
        self.gate = gate
        self.note = note
        self.random = random
        self.notifyTimeout = notifyTimeout
    }

    /// The selected projects, spaces taken in turn (the first project of each space, then the
    /// second of each, …). `--rate` is per space, so a run ordered space by space would have every
    /// slot waiting on one space's rate; interleaved, the slots spread over all of them.
    func selectedProjects(_ selection: Selection) throws -> [Project] {
        try database.checkMatches(selection)
        let projects = try database.projects(selection)
        if projects.isEmpty { throw nothingSelected(selection) }
        return Self.interleavedBySpace(projects)
    }

    func nothingSelected(_ selection: Selection) -> FleetError {
        let what =
            selection.isEmpty
            ? "there are no enabled projects in \(database.path); import some with `\(database.hint("import FILE.csv"))`"
            : "no enabled project matches the selection; `\(database.hint("projects"))` lists the inventory"
        return FleetError(what + ".", status: .usage)
    }

    /// What a rollout of `selection` records before it starts, streamed: every project rendered
    /// (any problem stops it before a request) and dropped, the projects' row ids in run order
    /// (spaces taken in turn, as `interleavedBySpace`), how many spaces, and the holds on them.
    /// A rollout of 1,000,000 projects holds about 20 bytes a project here, not the projects.
    func checkedRollout(_ template: Template, selection: Selection) throws -> (
        refs: [Int64], spaces: Int, holds: [Hold]
    ) {
        try database.checkMatches(selection)
        let holds = Dictionary(grouping: try holdsInEffect(), by: \.projectRef)
        var check = RenderCheck(template)
        var turns = TurnOrder()
        var refs: [Int64] = []
        var held: [Hold] = []
        try database.forEachProject(selection) { project in
            _ = check.render(project)
            try token(of: project)
            turns.add(project.space)
            refs.append(project.id)
            held += holds[project.id] ?? []
        }
        if refs.isEmpty { throw nothingSelected(selection) }
        try check.finish()
        return (turns.order.map { refs[$0] }, turns.spaces, held)
    }

    static func interleavedBySpace(_ projects: [Project]) -> [Project] {
        var turns = TurnOrder()
        for project in projects { turns.add(project.space) }
        return turns.order.map { projects[$0] }
    }

    /// Spaces taken in turn: the first of each space, then the second of each, …; within a
    /// turn, spaces keep the order they came in. 4 bytes an item.
    struct TurnOrder {
        private var counts: [String: Int32] = [:]
        private var ranks: [Int32] = []

        mutating func add(_ space: String) {
            ranks.append(counts[space, default: 0])
            counts[space, default: 0] += 1
        }

        var spaces: Int { counts.count }
        /// The positions of the items added, in turn order.
        var order: [Int] { ranks.indices.sorted { (ranks[$0], $0) < (ranks[$1], $1) } }
    }

    /// The selected projects and their work: the template rendered for every one (any problem
    /// stops it before a request), without the fields held on it, and every token opened; and
    /// the holds in effect on them.
    func renderedWork(_ template: Template, selection: Selection) throws -> (work: [TaskWork], holds: [Hold]) {
        let projects = try selectedProjects(selection)
        let patches = try template.renderAll(projects)
        let holds = try holdsInEffect(on: projects)
        let held = Self.fieldsByProject(holds)
        let work = try projects.indices.map { index in
            TaskWork(
                taskID: 0, position: index, project: projects[index], credentials: try credentials(projects[index]),
                patch: patches[index].holding(held[projects[index].id] ?? []))
        }
        return (work, holds)
    }

    /// The holds in effect now on `projects`.
    func holdsInEffect(on projects: [Project]) throws -> [Hold] {
        let refs = Set(projects.map(\.id))
        return try holdsInEffect().filter { refs.contains($0.projectRef) }
    }

    /// Every hold in effect now.
    func holdsInEffect() throws -> [Hold] {
        let now = clock.date()
        return try database.holds().filter { $0.isInEffect(at: now) }
    }

    static func fieldsByProject(_ holds: [Hold]) -> [Int64: Set<ProfileField>] {
        Dictionary(grouping: holds, by: \.projectRef).mapValues { Set($0.map(\.field)) }
    }

    func credentials(_ project: Project) throws -> Credentials {
        Credentials(projectID: project.projectID, token: try token(of: project))
    }

    /// The project's token, opened (a check before anything is recorded: a wrong FLEET_KEY is
    /// refused before the run exists).
    @discardableResult
    func token(of project: Project) throws -> String {
        try vault.open(project.storedToken, project: project.projectID)
    }

    /// The API base a recorded run must use: its own. A different one given by flag or
    /// environment is refused, so a retry never sends a rehearsal run's tokens to production,
    /// nor "succeeds" against a simulator for a production run.
    func apiBase(of run: Run) throws -> APIBase {
        guard let recorded = run.apiBase else { return apiBase }
        if apiBaseGiven && recorded != apiBase.template {
            throw FleetError.usage(
                "run \(run.id) was made against \(recorded), but --api-base or FLEET_API_BASE says \(apiBase.template); unset it (or give the run's) to go on with run \(run.id)."
            )
        }
        return try APIBase(recorded)
    }

    /// How the session's dispatchers are made.
    var dispatch: DispatchSetup {
        DispatchSetup(
            transports: transports, caFile: caFile, clock: clock, stop: stop, progress: progress, random: random)
    }
}
