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

    struct Entry: Encodable {
        var id: Int64
        var kind: String
        var template: String
        var template_sha256: String
        var state: String
        var started_at: String
        @NullEncoded var finished_at: String?
        @NullEncoded var rollback_of: Int64?
        @NullEncoded var rolled_back_by: Int64?
        var duration_s: Double
        var counts: TaskCounts
    }

    func run(in context: CommandContext) async throws -> ExitStatus {
        let summaries = try database.open(.read, context).runSummaries(now: context.clock.date())
        if json {
            context.console.out(try ReportJSON.encode(summaries.map {
                Entry(id: $0.run.id, kind: $0.run.kind.rawValue, template: $0.run.templateName, template_sha256: $0.run.templateSHA256,
                      state: $0.state.rawValue, started_at: $0.run.startedAt, finished_at: $0.run.finishedAt, rollback_of: $0.run.rollbackOf,
                      rolled_back_by: $0.rolledBackBy, duration_s: ($0.duration * 1000).rounded() / 1000, counts: $0.counts)
            }))
            return .success
        }
        if summaries.isEmpty {
            context.console.out("no runs yet; start one with `\(database.hint(context)("rollout TEMPLATE.json"))`.")
            return .success
        }
        let rows = [["RUN", "KIND", "TEMPLATE", "STATE", "TOTAL", "OK", "UNCHANGED", "FAILED", "PENDING", "STARTED", "DURATION"]]
            + summaries.map { summary in
                let run = summary.run, counts = summary.counts
                let kind = run.rollbackOf.map { "rollback of \($0)" } ?? run.kind.rawValue
                let state = summary.state.rawValue + (summary.rolledBackBy.map { ", rolled back by \($0)" } ?? "")
                return [String(run.id), kind, run.templateName.escapingControlCharacters, state, String(counts.total),
                        String(counts.succeeded), String(counts.unchanged), String(counts.failed), String(counts.pending + counts.running),
                        run.startedAt, StatusReport.duration(summary.duration)]
            }
        context.console.out(Table.render(rows))
        return .success
    }
}
