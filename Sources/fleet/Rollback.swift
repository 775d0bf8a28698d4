import ArgumentParser
import FleetCore

struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore the profiles a run changed to what they were before it.",
        discussion: """
            For every project RUN recorded a "before" profile for (it was about to change it), puts \
            that profile back, as a new run of kind rollback with its own status. Projects RUN did \
            not change are left alone, and a project already back to its old profile is unchanged.

            Example:
              $ fleet rollback 12
              $ fleet status
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The run to undo.", valueName: "run"))
    var run: Int64

    @OptionGroup var execution: ExecutionFlags

    func run() async throws {
        try await Console.perform {
            let session = try FleetSession.live(global)
            let options = execution.options()
            let target = run
            let result = try await RunEnding.execute(session: session, global: global, quiet: execution.quiet, label: "rollback") {
                try await session.rollback(target, options: options)
            }
            guard let result else {
                Console.out("run \(run) changed no project; there is nothing to roll back.")
                return .success
            }
            return try RunEnding.report(runID: result.run.id, end: result.end, session: session, global: global, json: execution.json)
        }
    }
}
