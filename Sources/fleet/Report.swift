import ArgumentParser
import FleetCore
import FleetModel
import FleetStore
import Foundation

/// `fleet report [RUN] [--format markdown|html] [--out FILE]`.
struct Report: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's change record, for a change ticket.",
        discussion: """
            The run (default: the latest), its state and counts, the change and reason, every \
            execution (who, where, when), the API base, the template (name, SHA-256, text) or plan, \
            the selection and options, the holds in effect, waves with their bakes and gates, a \
            table per space (projects, succeeded, failed, 429s, final rate, first and last request), \
            the field changes summarised, the failures grouped by kind, the rollback either way, and \
            a timeline of completions per space. Markdown (default) or one self-contained HTML file \
            (inline CSS and SVG, no script, no external reference; it prints well). No token appears \
            in either. Only reads the database.

            Example:
              $ fleet report 3 --format html --out CHG-2291.html
              $ fleet report > run.md
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case markdown, html
    }

    @OptionGroup var database: DatabaseOption

    @Argument(help: ArgumentHelp("The run (default: the latest).", valueName: "run"), completion: Completions.runs)
    var run: Int64?

    @Option(help: ArgumentHelp("markdown or html.", valueName: "format"))
    var format: Format = .markdown

    @Option(help: ArgumentHelp("Write it to this file instead of stdout.", valueName: "file"))
    var out: String?

    func run(in context: CommandContext) async throws -> ExitStatus {
        let database = try database.open(.read, context)
        let report = try ChangeReport.load(try database.requireRun(run), from: database, now: context.clock.date())
        let text = format == .html ? report.html() : report.markdown()
        guard let out else {
            context.console.out(String(text.dropLast()))
            return .success
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out))
        } catch {
            throw FleetError.io("cannot write the report to \(out): \(error.localizedDescription)")
        }
        context.console.out("wrote the change record of run \(report.status.run.id) to \(out) (\(format.rawValue)).")
        return .success
    }
}
