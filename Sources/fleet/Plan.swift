import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

struct Plan: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read every selected profile (GET only) and report what a rollout would change.",
        discussion: """
            Renders the template for every selected project (any problem stops it before a request) \
            and reads each current profile. Nothing is written, to SignalWire or to the database. When \
            more than 20 projects would change, it prints a summary: each field change once, with how \
            many projects it affects and in which spaces (--detail lists every project). --out saves \
            the plan (what each project's profile was and what would be written, with its SHA-256) for \
            `fleet rollout --plan`, which writes exactly that. It ends with how many projects are in \
            line with the template (nothing would change), per space; fields held with `fleet hold` keep \
            their live value and count as in line, and the plan says how many are held. Exit 0 when every profile could \
            be read, whatever would change; with --detailed-exitcode (terraform's), 0 when nothing \
            would change, 2 when something would, 1 when a profile could not be read.

            Example:
              $ fleet plan profile.json --space acme --exclude-tag frozen
              $ fleet plan profile.json --projects-from ticket.txt
              $ fleet plan profile.json --out plan.json
              $ fleet plan profile.json --json
              $ fleet plan profile.json --detailed-exitcode -q > /dev/null || echo drift
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var api: APIOptions

    @Argument(help: ArgumentHelp("The template.", valueName: "template.json"), completion: Completions.json)
    var template: String

    @OptionGroup var selection: SelectionOptions

    @OptionGroup var read: ReadOptions

    @Flag(help: "List every project that would change, whatever their number.")
    var detail = false

    @Option(
        help: ArgumentHelp("Save the plan to this file, for `fleet rollout --plan`.", valueName: "plan.json"),
        completion: Completions.json)
    var out: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Exit 0 when nothing would change, 2 when something would, 1 when a profile could not be read.")
    var detailedExitcode = false

    @OptionGroup var progress: ProgressOption

    func run(in context: CommandContext) async throws -> ExitStatus {
        let template = try Template.load(path: template)
        let session = try api.session(try database.open(.read, context), context)
        let selection = try selection.selection(in: session.database)
        let planOptions = read.options
        let entries = try await RunConsole.withProgress(
            session, context: context, quiet: progress.quiet || json, label: "plan", resumeHint: "fleet plan"
        ) {
            try await session.plan(template, selection: selection, options: planOptions)
        }
        let report = PlanReport(entries)
        let saved = try out.map { _ in try session.planFile(template, entries: entries) }
        if let out, let saved {
            do {
                try Data(saved.text.utf8).write(to: URL(fileURLWithPath: out))
            } catch {
                throw FleetError.io("cannot write the plan to \(out): \(error.localizedDescription)")
            }
        }
        if json {
            context.console.out(try report.json(templateSHA256: template.sha256, apiBase: session.apiBase))
        } else {
            let excluded = try session.excluded(by: selection, selected: report.counts.selected)?.description
            printText(
                report, template: template, excluded: excluded, saved: saved, apiBase: session.apiBase, context: context
            )
        }
        if detailedExitcode { return report.detailedStatus }
        return report.counts.failed == 0 ? .success : .failure
    }

    private func printText(
        _ report: PlanReport, template: Template, excluded: String?, saved: PlanFile?, apiBase: APIBase,
        context: CommandContext
    ) {
        let counts = report.counts
        let lines = report.listing(
            detail: detail, changesTitle: "would change (each change, with its projects per space):", apiBase: apiBase)
        if !lines.isEmpty { context.console.out(lines.joined(separator: "\n") + "\n") }
        if !report.heldLines.isEmpty { context.console.out(report.heldLines.joined(separator: "\n") + "\n") }
        context.console.out(
            "plan for \(template.name): \(counts.selected) projects selected\(excluded.map { " (\($0))" } ?? ""), \(counts.changing) would change, \(counts.unchanged) unchanged, \(counts.failed) could not be read"
        )
        context.console.out(report.complianceLine)
        if let out, let saved {
            let hint = database.hint(context)("rollout --plan \(ShellWord.quote(out))")
            context.console.out(
                "saved to \(out) (sha256 \(saved.sha256.prefix(12))); apply exactly this plan within 24 hours with `\(hint)`"
            )
        }
    }
}
