import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore

struct Status: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a run (default: the latest).",
        discussion: """
            Prints the run's header (template, state, start, duration over its executions, API base), \
            the count of projects per state, throughput, spaces that were throttled or stopped, the \
            waves of a staged run, the failures grouped by error kind and message with their \
            projects, and the command that reruns what did not succeed. Works while the run is \
            executing in another process, and on a read-only database. A run whose process died \
            shows as interrupted. Exit 0 when every project of the run ended succeeded or unchanged, \
            1 otherwise.

            --csv prints one RFC 4180 row per project (space, project_id, label, status, error_kind, \
            http_status, attempts, error) for a spreadsheet; a cell that starts with =, +, - or @ is \
            prefixed with ' so it is not run as a formula.

            Example:
              $ fleet status
              $ fleet status 12 --failed
              $ fleet status 12 --state pending
              $ fleet status --watch
              $ fleet status 12 --json
              $ fleet status 12 --csv > run-12.csv
            """)

    @OptionGroup var database: DatabaseOption

    @Argument(
        help: ArgumentHelp("The run id (default: the latest run).", valueName: "run"), completion: Completions.runs)
    var run: Int64?

    @Flag var format: OutputFormat?

    @Flag(help: "List every failed project, and only those (the same as --state failed).")
    var failed = false

    @Option(help: ArgumentHelp("List every project in this state, and only those.", valueName: "state"))
    var state: TaskState?

    @Flag(
        name: [.long, .customShort("w")],
        help: "Follow a run executing elsewhere: a line as it goes, the report when it ends.")
    var watch = false

    @Option(help: ArgumentHelp("With --watch, how often to look.", valueName: "duration"))
    var interval: TimeSpan = TimeSpan(argument: "2s")!

    func validate() throws {
        if failed && state != nil && state != .failed {
            throw ValidationError("--failed is --state failed; give one of them.")
        }
    }

    func run(in context: CommandContext) async throws -> ExitStatus {
        let database = try database.open(.read, context)
        var run = try database.requireRun(run)
        if watch { run = try await follow(run, database, context) }
        let only = failed ? .failed : state
        let report = try StatusReport.load(run, from: database, now: context.clock.date(), only: only)
        if format == .json {
            try report.json(from: database) { context.console.outRaw($0) }
            context.console.outRaw("\n")
        } else if format == .csv {
            try report.csv(from: database) { context.console.outRaw($0) }
        } else {
            context.console.out(
                report.text(hint: self.database.hint(context), projectsPerGroup: only == nil ? 10 : nil))
        }
        return report.counts.allGood ? .success : .failure
    }

    /// Prints a line whenever the run's counts change, until it is no longer running (or the
    /// operator stops watching), and returns it as it ended.
    private func follow(_ run: Run, _ database: FleetDatabase, _ context: CommandContext) async throws -> Run {
        var last = ""
        var run = run
        while true {
            let state = database.effectiveState(of: run)
            let counts = try database.counts(of: run, state: state)
            let line =
                "run \(run.id): \(counts.total - counts.pending - counts.running) of \(counts.total) done "
                + "(\(counts.succeeded) succeeded, \(counts.unchanged) unchanged, \(counts.failed) failed), \(state)"
            if line != last { context.console.err("fleet: " + line) }
            last = line
            guard state == .running, !context.stop.isRequested else { return run }
            try await context.clock.sleep(for: .milliseconds(Int64(interval.seconds * 1000)))
            run = try database.requireRun(run.id)
        }
    }
}
