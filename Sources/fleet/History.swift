import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

struct History: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "One project's story: every run that touched it, its attempts, the profile before and after.",
        discussion: """
            PROJECT is a project id (UUID), SPACE/UUID when the id is in several spaces, or a label \
            that only one project has. For every run that had the project, oldest first: the run, its \
            state, the project's task (state, wave, attempts), every HTTP attempt with its status and \
            error kind, and the profile before the run changed it and after. Only reads the database.

            Example:
              $ fleet history 4f1c2a8e-9b7d-4c3e-a1f0-2d5e6b7c8a90
              $ fleet history 'Acme HQ' --json
            """)

    @OptionGroup var database: DatabaseOption

    @Argument(help: ArgumentHelp("The project: UUID, SPACE/UUID or a unique label.", valueName: "project"))
    var project: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run(in context: CommandContext) async throws -> ExitStatus {
        let database = try database.open(.read, context)
        let project = try database.project(named: project)
        let history = try database.history(of: project)
        if json {
            let runs = try history.map { try database.runSummary(of: $0.run, now: context.clock.date()) }
            context.console.out(try HistoryReport.json(project, history, runs: runs))
        } else {
            context.console.out(HistoryReport.text(project, history).joined(separator: "\n"))
        }
        return .success
    }
}
