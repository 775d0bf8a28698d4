import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore

struct Rollback: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore the profiles a run changed to what they were before it, never over a later change.",
        discussion: """
            For every project RUN recorded a "before" profile for (it was about to change it), reads \
            the live profile and puts the "before" back only while the project still holds what RUN \
            wrote, as a new run of kind rollback with its own status, against RUN's own API base. A \
            project already back to its old profile is unchanged. A project changed since (a \
            dashboard edit, a script), or written by a later run, is not written: it fails as \
            conflict, naming the field or the run. --force puts the "before" back anyway. \
            --dry-run only reads and says what would be put back and what conflicts. A run that was \
            rolled back cannot be retried (start a new rollout instead).

            Example:
              $ fleet rollback 12 --dry-run
              $ fleet rollback 12 --yes
              $ fleet status
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var api: APIOptions

    @Argument(help: ArgumentHelp("The run to undo.", valueName: "run"), completion: Completions.runs)
    var run: Int64

    @OptionGroup var execution: ExecutionFlags

    @Flag(
        name: .customLong("dry-run"),
        help: "Read only (GET): say what would be put back and what conflicts; send no write, record nothing.")
    var dryRun = false

    func run(in context: CommandContext) async throws -> ExitStatus {
        if dryRun { return try await preview(in: context) }
        let database = try database.open(.write, context)
        let session = try api.session(database, context)
        guard let prepared = try session.prepareRollback(run, options: execution.options()) else {
            context.console.out("run \(run) changed no project; there is nothing to roll back.")
            return .success
        }
        return try await RunConsole.run(
            prepared, session: session, flags: execution, label: "rollback", resume: "retry", database: self.database,
            context: context)
    }

    private func preview(in context: CommandContext) async throws -> ExitStatus {
        let session = try api.session(try database.open(.read, context), context)
        let (target, options) = (run, execution.options())
        let preview = try await RunConsole.withProgress(
            session, context: context, quiet: execution.quiet, label: "rollback dry run", resumeHint: "fleet rollback"
        ) {
            try await session.previewRollback(target, options: options)
        }
        let report = PlanReport(preview.restore)
        var lines = [
            "rollback of run \(run), dry run (nothing was written): \(report.counts.changing) would be put back, "
                + "\(report.counts.unchanged) already as before, \(preview.conflicts.count) conflict, \(report.counts.failed) could not be read"
        ]
        if report.counts.changing > 0 { lines += ["", "would put back:"] + report.summary() }
        if !preview.conflicts.isEmpty {
            lines += ["", "conflicts (left as they are; --force puts the before back anyway):"]
            lines += preview.conflicts.prefix(20).map {
                "  \($0.project.heading): \($0.reason.escapingControlCharacters)"
            }
            if preview.conflicts.count > 20 { lines.append("  … and \(preview.conflicts.count - 20) more") }
        }
        if report.counts.failed > 0 { lines += [""] + report.failureLines() }
        context.console.out(lines.joined(separator: "\n"))
        return preview.conflicts.isEmpty && report.counts.failed == 0 ? .success : .failure
    }
}
