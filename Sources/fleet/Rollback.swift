import ArgumentParser
import FleetCore

struct Rollback: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore the profiles a run changed to what they were before it.",
        discussion: """
            For every project RUN recorded a "before" profile for (it was about to change it), puts \
            that profile back, as a new run of kind rollback with its own status, against RUN's own \
            API base. Projects RUN did not change are left alone, and a project already back to its \
            old profile is unchanged.

            Example:
              $ fleet rollback 12
              $ fleet status
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var api: APIOptions

    @Argument(help: ArgumentHelp("The run to undo.", valueName: "run"))
    var run: Int64

    @OptionGroup var execution: ExecutionFlags

    func execute(in context: CommandContext) async throws -> ExitStatus {
        let database = try database.open(.write, context)
        let session = try api.session(database, context)
        guard let prepared = try session.prepareRollback(run, options: execution.options()) else {
            context.console.out("run \(run) changed no project; there is nothing to roll back.")
            return .success
        }
        return try await RunConsole.run(prepared, session: session, flags: execution, label: "rollback", resume: "retry", database: self.database, context: context)
    }
}
