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

    func validate() throws {
        if failed && state != nil && state != .failed {
            throw ValidationError("--failed is --state failed; give one of them.")
        }
    }

    func run(in context: CommandContext) async throws -> ExitStatus {
        let database = try database.open(.read, context)
        let run = try database.requireRun(run)
        let only = failed ? .failed : state
        let report = try StatusReport.load(run, from: database, now: context.clock.date(), only: only)
        if format == .json {
            context.console.out(try report.json())
        } else if format == .csv {
            context.console.outRaw(report.csv())
        } else {
            context.console.out(
                report.text(hint: self.database.hint(context), projectsPerGroup: only == nil ? 10 : nil))
        }
        return report.counts.allGood ? .success : .failure
    }
}
