import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore

struct Verify: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check (GET only) that the profiles a run wrote are still in place.",
        discussion: """
            Reads the live profile of every project RUN (default: the latest) wrote, against RUN's \
            own API base, and reports each one whose live profile no longer equals what RUN left \
            there, field by field: someone edited it in the dashboard, a script reset it. A write \
            whose answer was lost (a kill, a full disk) is checked too: a project still holding its \
            old profile is counted as not written yet, not as drift. Records nothing. Exit 0 when nothing drifted and every profile could be read, 1 otherwise.

            Example:
              $ fleet verify
              $ fleet verify 12 --json
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var api: APIOptions

    @Argument(
        help: ArgumentHelp("The run id (default: the latest run).", valueName: "run"), completion: Completions.runs)
    var run: Int64?

    @OptionGroup var read: ReadOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "List every drifted project, whatever their number.")
    var detail = false

    @OptionGroup var progress: ProgressOption

    func run(in context: CommandContext) async throws -> ExitStatus {
        let session = try api.session(try database.open(.read, context), context)
        let (target, requested) = (run, read.options)
        let verification = try await RunConsole.withProgress(
            session, context: context, quiet: progress.quiet || json, label: "verify", resumeHint: "fleet verify"
        ) {
            try await session.verify(target, options: requested)
        }
        let run = verification.run
        let report = PlanReport(verification.entries)
        if json {
            context.console.out(
                try report.json(templateSHA256: nil, apiBase: try APIBase(run.apiBase ?? session.apiBase.template)))
        } else {
            let verb: (FieldChange) -> String = { "\($0.field): written \($0.new.shortText), now \($0.old.shortText)" }
            let lines = report.listing(
                detail: detail, changesTitle: "drifted (each change, with its projects per space):",
                apiBase: try APIBase(run.apiBase ?? session.apiBase.template), verb: verb)
            if !lines.isEmpty { context.console.out(lines.joined(separator: "\n") + "\n") }
            var summary =
                "verify run \(run.id): \(report.counts.selected) projects it wrote, \(report.counts.changing) drifted, \(report.counts.failed) could not be read"
            if !verification.unwritten.isEmpty, try session.database.rollbacks(of: run.id).isEmpty {
                summary +=
                    "; \(verification.unwritten.count) it had not written yet (`\(database.hint(context)("retry \(run.id)"))` finishes them)"
            }
            context.console.out(summary)
        }
        return report.counts.changing == 0 && report.counts.failed == 0 ? .success : .failure
    }
}
