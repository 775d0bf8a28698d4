import ArgumentParser
import FleetCore
import Foundation

struct Plan: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read every selected profile (GET only) and report what a rollout would change.",
        discussion: """
            Renders the template for every selected project (any problem stops it before a request), \
            reads each current profile and prints, per project that would change, field: old → new. \
            Nothing is written, to SignalWire or to the database. Exit 0 when every profile could be \
            read, whatever would change.

            Example:
              $ fleet plan profile.json --space acme
              $ fleet plan profile.json --json
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var api: APIOptions

    @Argument(help: ArgumentHelp("The template.", valueName: "template.json"))
    var template: String

    @OptionGroup var selection: SelectionOptions

    @Option(help: ArgumentHelp("Requests in flight at most (default 16).", valueName: "n"))
    var concurrency: Int = ExecutionOptions().concurrency

    @Option(help: ArgumentHelp("Requests per second per space at most (default 50).", valueName: "r"))
    var rate: Double = ExecutionOptions().rate

    @Option(help: ArgumentHelp("Seconds one request may take (default 30).", valueName: "s"))
    var timeout: Double = ExecutionOptions().timeoutSeconds

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "No progress line on stderr.")
    var quiet = false

    func validate() throws {
        try ExecutionFlags.checkRequestOptions(concurrency: concurrency, rate: rate, timeout: timeout)
    }

    struct JSONReport: Encodable {
        struct Entry: Encodable {
            var space: String
            var project_id: String
            var label: String
            var changes: [FieldChange]
            var error_kind: String?
            var error: String?
        }
        var template_sha256: String
        var selected: Int
        var would_change: Int
        var unchanged: Int
        var failed: Int
        var projects: [Entry]
    }

    func execute(in context: CommandContext) async throws -> ExitStatus {
        let template = try Template.load(path: template)
        let session = try api.session(try database.open(.read, context), context)
        var options = ExecutionOptions()
        (options.concurrency, options.rate, options.timeoutSeconds) = (concurrency, rate, timeout)
        let selection = selection.selection, planOptions = options
        let entries = try await RunConsole.execute(session, context: context, quiet: quiet || json, label: "plan", resumeHint: "fleet plan") {
            try await session.plan(template, selection: selection, options: planOptions)
        }
        var report = JSONReport(template_sha256: template.sha256, selected: entries.count, would_change: 0, unchanged: 0, failed: 0, projects: [])
        var text: [String] = []
        for entry in entries {
            let project = entry.project
            switch entry.outcome {
            case .planned(let current, let desired) where current.changes(to: desired).isEmpty:
                report.unchanged += 1
            case .planned(let current, let desired):
                let changes = current.changes(to: desired)
                report.would_change += 1
                report.projects.append(.init(space: project.space, project_id: project.projectID, label: project.label, changes: changes))
                text.append(project.heading)
                text += changes.map { "    " + $0.text.escapingControlCharacters }
            case .failed(let failure):
                report.failed += 1
                report.projects.append(.init(space: project.space, project_id: project.projectID, label: project.label, changes: [],
                                             error_kind: failure.kind.rawValue, error: failure.message))
                text.append("\(project.heading)\n    cannot read: \(failure.kind): \(failure.message)")
            default:
                report.failed += 1
                text.append("\(project.heading)\n    not read: interrupted")
            }
        }
        if json {
            context.console.out(ReportJSON.encode(report))
        } else {
            if !text.isEmpty { context.console.out(text.joined(separator: "\n") + "\n") }
            context.console.out("plan for \(template.name): \(report.selected) projects selected, \(report.would_change) would change, \(report.unchanged) unchanged, \(report.failed) could not be read")
        }
        return report.failed == 0 ? .success : .failure
    }
}
