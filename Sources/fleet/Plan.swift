import ArgumentParser
import FleetCore
import Foundation

struct Plan: AsyncParsableCommand {
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

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The template.", valueName: "template.json"))
    var template: String

    @OptionGroup var selection: SelectionOptions

    @Option(help: ArgumentHelp("Requests in flight at most (default 16).", valueName: "n"))
    var concurrency: Int = 16

    @Option(help: ArgumentHelp("Requests per second per space at most (default 50).", valueName: "r"))
    var rate: Double = 50

    @Option(help: ArgumentHelp("Seconds one request may take (default 30).", valueName: "s"))
    var timeout: Double = 30

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "No progress line on stderr.")
    var quiet = false

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

    func run() async throws {
        try await Console.perform {
            let template = try Template.load(path: template)
            let session = try FleetSession.live(global)
            var options = ExecutionOptions()
            options.concurrency = concurrency
            options.rate = rate
            options.timeoutSeconds = timeout
            let selection = selection.selection
            let planOptions = options
            let entries = try await RunEnding.execute(session: session, global: global, quiet: quiet || json, label: "plan") {
                try await session.plan(template, selection: selection, options: planOptions)
            }
            var report = JSONReport(template_sha256: template.sha256, selected: entries.count, would_change: 0, unchanged: 0, failed: 0, projects: [])
            var text: [String] = []
            for entry in entries {
                let project = entry.project
                let heading = "\(project.space) \(project.projectID)\(project.label.isEmpty ? "" : " \(project.label)")"
                switch entry.outcome {
                case .planned(let changes) where changes.isEmpty:
                    report.unchanged += 1
                case .planned(let changes):
                    report.would_change += 1
                    report.projects.append(.init(space: project.space, project_id: project.projectID, label: project.label, changes: changes))
                    text.append(heading)
                    text += changes.map { "    \($0.field): \($0.old) → \($0.new)" }
                case .failed(let failure):
                    report.failed += 1
                    report.projects.append(.init(space: project.space, project_id: project.projectID, label: project.label, changes: [],
                                                 error_kind: failure.kind.rawValue, error: failure.message))
                    text.append("\(heading)\n    cannot read: \(failure.kind): \(failure.message)")
                default:
                    report.failed += 1
                    text.append("\(heading)\n    not read: interrupted")
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                Console.out(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                if !text.isEmpty { Console.out(text.joined(separator: "\n") + "\n") }
                Console.out("plan for \(template.name): \(report.selected) projects selected, \(report.would_change) would change, \(report.unchanged) unchanged, \(report.failed) could not be read")
            }
            return report.failed == 0 ? .success : .failure
        }
    }
}
