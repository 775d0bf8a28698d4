import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

struct Runs: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "List runs, newest first.",
        discussion: """
            One line per run: id, kind (a rollback names the run it undoes), template, state (and the \
            rollback that undid it, if one did), counts, \
            start and duration (the sum of its executions). Only reads the database.

            Example:
              $ fleet runs
              $ fleet runs --json
            """)

    @OptionGroup var database: DatabaseOption

    @Flag(help: "Print a JSON array.")
    var json = false

    func run(in context: CommandContext) async throws -> ExitStatus {
        let summaries = try database.open(.read, context).runSummaries(now: context.clock.date())
        if json {
            context.console.out(try ReportJSON.encode(summaries.map(RunJSON.init)))
            return .success
        }
        if summaries.isEmpty {
            context.console.out("no runs yet; start one with `\(database.hint(context)("rollout TEMPLATE.json"))`.")
            return .success
        }
        let rows =
            [
                [
                    "RUN", "KIND", "TEMPLATE", "STATE", "TOTAL", "OK", "UNCHANGED", "FAILED", "PENDING", "STARTED",
                    "DURATION", "CHANGE",
                ]
            ]
            + summaries.map { summary in
                let run = summary.run
                let counts = summary.counts
                let kind = run.rollbackOf.map { "rollback of \($0)" } ?? run.kind.rawValue
                let state = summary.state.rawValue + (summary.rolledBackBy.map { ", rolled back by \($0)" } ?? "")
                return [
                    String(run.id), kind, run.templateName.escapingControlCharacters, state, String(counts.total),
                    String(counts.succeeded), String(counts.unchanged), String(counts.failed),
                    String(counts.pending + counts.running),
                    run.startedAt, StatusReport.duration(summary.duration),
                    (run.changeID ?? "").escapingControlCharacters,
                ]
            }
        context.console.out(Table.render(rows))
        return .success
    }
}
