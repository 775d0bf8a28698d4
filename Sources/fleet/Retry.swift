import ArgumentParser
import FleetCore

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rerun every task of a run (default: the latest) that did not succeed.",
        discussion: """
            Reruns the tasks that are failed, pending (halted, interrupted, or killed) or were left \
            running by a dead process, with the run's recorded template and the inventory's current \
            credentials, so a corrected token can be imported and retried. The attempts are added to \
            the same run. Options not given are the run's recorded ones. A run being executed by \
            another process is refused.

            Example:
              $ fleet import fixed-tokens.csv
              $ fleet retry 12
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The run id (default: the latest run).", valueName: "run"))
    var run: Int64?

    @OptionGroup var execution: ExecutionFlags

    func run() async throws {
        try await Console.perform {
            let session = try FleetSession.live(global)
            let base = try session.database.requireRun(run)
            let options = execution.anyGiven ? execution.options(over: base.executionOptions) : nil
            let result = try await RunEnding.execute(session: session, global: global, quiet: execution.quiet, label: "retry") {
                try await session.retry(base.id, options: options)
            }
            return try RunEnding.report(runID: result.run.id, end: result.end, session: session, global: global, json: execution.json)
        }
    }
}
