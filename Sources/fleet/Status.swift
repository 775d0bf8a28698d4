import ArgumentParser
import FleetCore

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a run (default: the latest).",
        discussion: """
            Prints the run's header (template, state, start, duration), the count of projects per \
            state, throughput, the failures grouped by error kind and message with their projects, \
            and the command that reruns what did not succeed. Works while the run is executing in \
            another process. A run whose process died shows as interrupted. Exit 0 when every \
            project of the run ended succeeded or unchanged, 1 otherwise.

            Example:
              $ fleet status
              $ fleet status 12 --failed
              $ fleet status 12 --json
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The run id (default: the latest run).", valueName: "run"))
    var run: Int64?

    @Flag(help: "Print one JSON object (the schema in the README).")
    var json = false

    @Flag(help: "List every failed project, and only those.")
    var failed = false

    func run() async throws {
        try await Console.perform {
            let database = try global.openDatabase()
            let run = try database.requireRun(run)
            let report = try StatusReport.load(run, from: database, failedOnly: failed)
            Console.out(json ? report.json() : report.text(rerun: global.commandPrefix, projectsPerGroup: failed ? nil : 10))
            let counts = report.counts
            return counts.succeeded + counts.unchanged == counts.total ? .success : .failure
        }
    }
}
