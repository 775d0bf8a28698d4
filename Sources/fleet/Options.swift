import ArgumentParser
import FleetCore
import Foundation

/// `--db` and `--api-base`, on every command.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite file (env FLEET_DB; default ./fleet.db). Created and migrated on first use.", valueName: "path"))
    var db: String?

    @Option(name: .customLong("api-base"), help: ArgumentHelp(
        "Where a space's API lives; {space} is replaced by the space name (env FLEET_API_BASE; default \(APIBase.defaultTemplate)). Plain http only on loopback.",
        valueName: "url"))
    var apiBase: String?

    var databasePath: String {
        db ?? ProcessInfo.processInfo.environment["FLEET_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "fleet.db"
    }

    func openDatabase() throws -> FleetDatabase {
        try FleetDatabase(path: databasePath)
    }

    func resolvedAPIBase() throws -> APIBase {
        try APIBase(apiBase ?? ProcessInfo.processInfo.environment["FLEET_API_BASE"].flatMap { $0.isEmpty ? nil : $0 } ?? APIBase.defaultTemplate)
    }

    /// `fleet`, or `fleet --db PATH` when the database is not the default, for commands fleet tells the operator to type.
    var commandPrefix: String {
        databasePath == "fleet.db" ? "fleet" : "fleet --db \(databasePath)"
    }

    func validate() throws {
        do {
            _ = try resolvedAPIBase()
        } catch let error as FleetError {
            throw ValidationError(error.message)
        }
    }
}

/// `--space`, `--tag`, `--project`, each repeatable; none means every enabled project.
struct SelectionOptions: ParsableArguments {
    @Option(name: .customLong("space"), help: ArgumentHelp("Only projects in this space (repeatable).", valueName: "name"))
    var spaces: [String] = []

    @Option(name: .customLong("tag"), help: ArgumentHelp("Only projects with this tag (repeatable).", valueName: "tag"))
    var tags: [String] = []

    @Option(name: .customLong("project"), help: ArgumentHelp("Only this project (repeatable).", valueName: "uuid"))
    var projects: [String] = []

    func validate() throws {
        for project in projects where UUID(uuidString: project) == nil {
            throw ValidationError("--project \(project) is not a UUID.")
        }
    }

    var selection: Selection { Selection(spaces: spaces, tags: tags, projectIDs: projects) }
}

/// The execution options of rollout, retry and rollback. Unset options keep their defaults (for
/// retry: the run's recorded options).
struct ExecutionFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Requests in flight at most (default 16).", valueName: "n"))
    var concurrency: Int?

    @Option(help: ArgumentHelp("Requests per second per space at most (default 50).", valueName: "r"))
    var rate: Double?

    @Option(name: .customLong("max-attempts"), help: ArgumentHelp("Attempts of each request before a task fails (default 5).", valueName: "n"))
    var maxAttempts: Int?

    @Option(help: ArgumentHelp("Seconds one request may take (default 30).", valueName: "s"))
    var timeout: Double?

    @Option(help: ArgumentHelp("Run N projects first; go on only if all of them succeeded.", valueName: "n"))
    var canary: Int?

    @Option(name: .customLong("max-failures"), help: ArgumentHelp("Stop starting tasks once N (or N% of the tasks) have failed.", valueName: "n|n%"))
    var maxFailures: String?

    @Flag(help: "PUT even when a profile already equals the desired one.")
    var force = false

    @Flag(help: "Print the final report as `fleet status --json` would.")
    var json = false

    @Flag(help: "No progress line on stderr.")
    var quiet = false

    func validate() throws {
        if let concurrency, concurrency < 1 || concurrency > 1024 { throw ValidationError("--concurrency must be between 1 and 1024.") }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be a positive number of requests per second.") }
        if let maxAttempts, maxAttempts < 1 || maxAttempts > 100 { throw ValidationError("--max-attempts must be between 1 and 100.") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds.") }
        if let canary, canary < 1 { throw ValidationError("--canary must be at least 1.") }
        if let maxFailures, FailureLimit(argument: maxFailures) == nil {
            throw ValidationError("--max-failures must be a count such as 10 or a share such as 5%.")
        }
    }

    /// Applies the flags given over `base`.
    func options(over base: ExecutionOptions = ExecutionOptions()) -> ExecutionOptions {
        var options = base
        if let concurrency { options.concurrency = concurrency }
        if let rate { options.rate = rate }
        if let maxAttempts { options.maxAttempts = maxAttempts }
        if let timeout { options.timeoutSeconds = timeout }
        if let canary { options.canary = canary }
        if let maxFailures { options.maxFailures = FailureLimit(argument: maxFailures) }
        if force { options.force = true }
        return options
    }

    var anyGiven: Bool {
        concurrency != nil || rate != nil || maxAttempts != nil || timeout != nil || canary != nil || maxFailures != nil || force
    }
}
