import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// `--db`, on every command that uses the database.
struct DatabaseOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The SQLite file (env FLEET_DB; default ./fleet.db). Only `fleet import` creates one.", valueName: "path"),
        completion: Completions.database)
    var db: String?

    func path(_ context: CommandContext) -> String {
        db ?? context.variable("FLEET_DB") ?? "fleet.db"
    }

    /// Next-step command lines that carry this database.
    func hint(_ context: CommandContext) -> CommandHint {
        CommandHint(database: path(context))
    }

    /// Opens the database; its warnings (a file others can read) go to stderr.
    func open(_ access: FleetDatabase.Access, _ context: CommandContext) throws -> FleetDatabase {
        let database = try FleetDatabase(path: path(context), access: access)
        for warning in database.warnings { context.console.err(warning) }
        return database
    }
}

/// `--api-base` and `--ca-file`, on the commands that call the API.
struct APIOptions: ParsableArguments {
    @Option(
        name: .customLong("api-base"),
        help: ArgumentHelp(
            "Where a space's API lives; {space} is a label of the host name (env FLEET_API_BASE; default \(APIBase.defaultTemplate)). Plain http only on loopback.",
            valueName: "url"))
    var apiBase: String?

    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp(
            "A PEM certificate or bundle to trust besides the system's roots (env FLEET_CA_FILE). Verification is never switched off.",
            valueName: "path"),
        completion: Completions.certificate)
    var caFile: String?

    func validate() throws {
        do {
            if let apiBase { _ = try APIBase(apiBase) }
            if let caFile { _ = try CertificateAuthorityFile.load(caFile) }
        } catch let error as FleetError {
            throw ValidationError(error.message)
        }
    }

    /// The API base in effect, and whether the operator gave it (by flag or environment).
    func resolved(_ context: CommandContext) throws -> (base: APIBase, given: Bool) {
        if let given = apiBase ?? context.variable("FLEET_API_BASE") { return (try APIBase(given), true) }
        return (try APIBase(APIBase.defaultTemplate), false)
    }

    /// A session on the API base in effect, or on `apiBase` (a saved plan's) when given.
    func session(
        _ database: FleetDatabase, _ context: CommandContext, apiBase: APIBase? = nil,
        progress: RunProgress = RunProgress()
    ) throws -> FleetSession {
        var (base, given) = try resolved(context)
        if let apiBase { (base, given) = (apiBase, true) }
        let caFile = caFile ?? context.variable("FLEET_CA_FILE")
        if let caFile { _ = try CertificateAuthorityFile.load(caFile) }
        return FleetSession(
            database: database, apiBase: base, apiBaseGiven: given,
            vault: try TokenVault.fromEnvironment(context.environment),
            transports: context.transports, caFile: caFile, clock: context.clock, stop: context.stop,
            progress: progress,
            gate: context.gate, note: { [console = context.console] line in console.err(line) }, random: context.random)
    }
}

/// `--quiet` (`-q`), on the commands that show a progress line.
struct ProgressOption: ParsableArguments {
    @Flag(name: [.long, .customShort("q")], help: "No progress line on stderr.")
    var quiet = false
}

/// `--space`, `--tag`, `--project`, `--projects-from` and the exclusions, each repeatable;
/// none means every enabled project.
struct SelectionOptions: ParsableArguments {
    @Option(
        name: .customLong("space"),
        help: ArgumentHelp("Only projects in this space (repeatable: any of them).", valueName: "name"),
        completion: Completions.spaces)
    var spaces: [String] = []

    @Option(
        name: .customLong("tag"),
        help: ArgumentHelp("Only projects with this tag (repeatable: every tag given).", valueName: "tag"),
        completion: Completions.tags)
    var tags: [String] = []

    @Option(
        name: .customLong("project"),
        help: ArgumentHelp("Only this project, in every space it is in (repeatable: any of them).", valueName: "uuid"))
    var projects: [String] = []

    @Option(
        help: ArgumentHelp(
            "Also the projects this file names, one UUID, SPACE/UUID or unique label a line, of any length (# comments; - for stdin).",
            valueName: "file"),
        completion: .file())
    var projectsFrom: String?

    @Option(
        name: .customLong("exclude-space"),
        help: ArgumentHelp("Leave out the projects of this space (repeatable).", valueName: "name"),
        completion: Completions.spaces)
    var excludedSpaces: [String] = []

    @Option(
        name: .customLong("exclude-tag"),
        help: ArgumentHelp("Leave out the projects with this tag (repeatable: any of them).", valueName: "tag"),
        completion: Completions.tags)
    var excludedTags: [String] = []

    @Option(
        name: .customLong("exclude-project"),
        help: ArgumentHelp(
            "Leave out this project: UUID (in every space it is in), SPACE/UUID or unique label (repeatable).",
            valueName: "project"))
    var excludedProjects: [String] = []

    func validate() throws {
        for project in projects where UUID(uuidString: project) == nil {
            throw ValidationError(
                "--project \(project) is not a UUID; name a project by its label with --projects-from.")
        }
    }

    /// Whether any selection option was given.
    var isEmpty: Bool {
        spaces.isEmpty && tags.isEmpty && projects.isEmpty && projectsFrom == nil && excludedSpaces.isEmpty
            && excludedTags.isEmpty && excludedProjects.isEmpty
    }

    /// The selection, its labels and file resolved in `database` (every bad line of the file
    /// reported, nothing sent).
    func selection(in database: FleetDatabase, includeDisabled: Bool = false) throws -> Selection {
        let given = Selection(
            spaces: spaces, tags: tags, projectIDs: projects, excludedSpaces: excludedSpaces,
            excludedTags: excludedTags,
            includeDisabled: includeDisabled)
        return try database.selection(given, excluding: excludedProjects, from: try projectsFrom.map(TargetFile.load))
    }
}

/// How fast a command that only reads (plan, verify) may go.
struct ReadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Requests in flight at most, 1 to 1024.", valueName: "n"))
    var concurrency: Int = ExecutionOptions().concurrency

    @Option(help: ArgumentHelp("Requests per second per space at most.", valueName: "r"))
    var rate: Double = ExecutionOptions().rate

    @Option(help: ArgumentHelp("Seconds one request may take.", valueName: "s"))
    var timeout: Double = ExecutionOptions().timeoutSeconds

    func validate() throws {
        try ExecutionFlags.checkRequestOptions(concurrency: concurrency, rate: rate, timeout: timeout)
    }

    var options: ExecutionOptions {
        var options = ExecutionOptions()
        (options.concurrency, options.rate, options.timeoutSeconds) = (concurrency, rate, timeout)
        return options
    }
}

/// The execution options of rollout, retry and rollback. Unset options keep their defaults (for
/// retry: the run's recorded options).
struct ExecutionFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Requests in flight at most, 1 to 1024 (default 16).", valueName: "n"))
    var concurrency: Int?

    @Option(
        help: ArgumentHelp(
            "Requests per second per space at most: the ceiling of the adaptive rate (default 50).", valueName: "r"))
    var rate: Double?

    @Option(
        name: .customLong("max-attempts"),
        help: ArgumentHelp("Attempts of each request before a task fails, 1 to 100 (default 5).", valueName: "n"))
    var maxAttempts: Int?

    @Option(help: ArgumentHelp("Seconds one request may take, body included (default 30).", valueName: "s"))
    var timeout: Double?

    @Option(
        help: ArgumentHelp(
            "Run N projects first; go on only if none of them failed (the same as --waves N,100%).", valueName: "n"))
    var canary: Int?

    @Option(
        help: ArgumentHelp(
            "Cumulative wave ends, counts or shares: 10,10%,50%,100%. A wave with a failure halts the run before the next.",
            valueName: "list"))
    var waves: WaveList?

    @Option(
        name: .customLong("max-failures"),
        help: ArgumentHelp(
            "Stop starting tasks once N (or N% of the tasks of a wave) have failed in this execution.",
            valueName: "n|n%"))
    var maxFailures: FailureLimit?

    @Option(
        help: ArgumentHelp(
            "Wait this long after each wave before the next: 30s, 10m, 1h (at most 7 days).", valueName: "duration"))
    var bake: TimeSpan?

    @Option(
        help: ArgumentHelp(
            "A shell command run after each wave (and its bake); anything but exit 0 halts the run.",
            valueName: "command"))
    var gate: String?

    @Option(
        name: .customLong("gate-timeout"),
        help: ArgumentHelp("Seconds the gate may take before it counts as failed (default 600).", valueName: "s"))
    var gateTimeout: Double?

    @Flag(
        name: .customLong("rollback-on-halt"),
        help: "When the run halts, roll back every project it changed, as a run linked to it.")
    var rollbackOnHalt = false

    @Flag(help: "PUT even when a profile already equals the desired one.")
    var force = false

    @Flag(
        name: [.long, .customShort("y")],
        help: "Go on without asking: needed without a terminal (a script), which is refused otherwise.")
    var yes = false

    @Flag(help: "Print the final report as `fleet status --json` would.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "The change (ticket) this is done under, recorded on the run (env FLEET_CHANGE).", valueName: "id"))
    var change: String?

    @Option(help: ArgumentHelp("Why, recorded on the run.", valueName: "text"))
    var reason: String?

    @Option(
        name: .customLong("not-before"),
        help: ArgumentHelp(
            "Wait until then before the first request: ISO 8601 with an offset, or HH:MM (the next such local time).",
            valueName: "time"))
    var notBefore: String?

    @Option(
        name: .customLong("not-after"),
        help: ArgumentHelp(
            "Start no task after then (the change window's end); the run halts, `fleet retry` goes on.",
            valueName: "time"))
    var notAfter: String?

    @Option(
        help: ArgumentHelp(
            "A shell command told of each event of the run (started, wave, halted, interrupted, finished) as JSON on its stdin.",
            valueName: "command"))
    var notify: String?

    @OptionGroup var progress: ProgressOption
    var quiet: Bool { progress.quiet }

    /// The ranges of the options plan shares with the executions.
    static func checkRequestOptions(concurrency: Int?, rate: Double?, timeout: Double?) throws {
        if let concurrency { try check((1...1024).contains(concurrency), "--concurrency must be between 1 and 1024.") }
        if let rate {
            try check(
                rate.isFinite && (0.01...100_000).contains(rate),
                "--rate must be between 0.01 and 100000 requests per second.")
        }
        if let timeout {
            try check(
                timeout.isFinite && (0.01...3600).contains(timeout), "--timeout must be between 0.01 and 3600 seconds.")
        }
    }

    private static func check(_ ok: Bool, _ message: String) throws {
        if !ok { throw ValidationError(message) }
    }

    func validate() throws {
        let check = Self.check
        try Self.checkRequestOptions(concurrency: concurrency, rate: rate, timeout: timeout)
        if let maxAttempts { try check((1...100).contains(maxAttempts), "--max-attempts must be between 1 and 100.") }
        if let canary {
            try check(canary >= 1 && canary <= 10_000_000, "--canary must be a number of projects, at least 1.")
        }
        try check(
            canary == nil || waves == nil,
            "--canary and --waves cannot be given together; --canary N is --waves N,100%.")
        if bake != nil {
            try check(canary != nil || waves != nil, "--bake waits between waves; give --waves or --canary too.")
        }
        if let gateTimeout {
            try check(
                gateTimeout.isFinite && (1...86_400).contains(gateTimeout),
                "--gate-timeout must be between 1 and 86400 seconds.")
        }
    }

    /// Applies the flags given over `base`.
    func options(over base: ExecutionOptions = ExecutionOptions()) -> ExecutionOptions {
        var options = base
        if let concurrency { options.concurrency = concurrency }
        if let rate { options.rate = rate }
        if let maxAttempts { options.maxAttempts = maxAttempts }
        if let timeout { options.timeoutSeconds = timeout }
        if let canary { (options.canary, options.waves) = (canary, nil) }
        if let waves { (options.waves, options.canary) = (waves.ends, nil) }
        if let maxFailures { options.maxFailures = maxFailures }
        if let bake { options.bakeSeconds = bake.seconds }
        if let gate { options.gate = gate }
        if let gateTimeout { options.gateTimeoutSeconds = gateTimeout }
        if rollbackOnHalt { options.rollbackOnHalt = true }
        if force { options.force = true }
        return options
    }

    /// The change record of the execution: `--change` (else `FLEET_CHANGE`), `--reason`, the
    /// operator, the window (a window already closed is refused) and `--notify`.
    func changeRecord(_ context: CommandContext) throws -> ChangeRecord {
        let now = context.clock.date()
        func time(_ text: String?, _ option: String) throws -> Date? {
            try text.map { try WallTime.parse($0, option: option, now: now) }
        }
        let change = change ?? context.variable("FLEET_CHANGE")
        if let change { try ChangeRecord.checkChange(change) }
        let record = ChangeRecord(
            change: change, reason: reason, who: context.who, notBefore: try time(notBefore, "--not-before"),
            notAfter: try time(notAfter, "--not-after"), notify: notify)
        if let start = record.notBefore, let end = record.notAfter, start >= end {
            throw FleetError.usage(
                "--not-before \(WallTime.text(start)) is not before --not-after \(WallTime.text(end)); give a window that opens before it closes."
            )
        }
        return record
    }

    var anyGiven: Bool {
        concurrency != nil || rate != nil || maxAttempts != nil || timeout != nil || canary != nil || waves != nil
            || maxFailures != nil
            || bake != nil || gate != nil || gateTimeout != nil || rollbackOnHalt || force
    }
}
