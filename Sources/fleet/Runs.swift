import ArgumentParser
import FleetCore
import Foundation

struct Runs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List runs, newest first.",
        discussion: """
            One line per run: id, kind, template, state, counts, start and duration.

            Example:
              $ fleet runs
              $ fleet runs --json
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print a JSON array.")
    var json = false

    struct Entry: Encodable {
        var id: Int64
        var kind: String
        var template: String
        var template_sha256: String
        var state: String
        var started_at: String
        var finished_at: String?
        var counts: StatusReport.Counts
    }

    func run() async throws {
        try await Console.perform {
            let summaries = try global.openDatabase().runSummaries()
            if json {
                let entries = summaries.map {
                    Entry(id: $0.run.id, kind: $0.run.kind.rawValue, template: $0.run.templateName, template_sha256: $0.run.templateSHA256,
                          state: $0.state.rawValue, started_at: $0.run.startedAt, finished_at: $0.run.finishedAt, counts: $0.counts)
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                Console.out(String(decoding: try encoder.encode(entries), as: UTF8.self))
                return .success
            }
            if summaries.isEmpty {
                Console.out("no runs yet; start one with `fleet rollout TEMPLATE.json`.")
                return .success
            }
            let rows = [["RUN", "KIND", "TEMPLATE", "STATE", "TOTAL", "OK", "UNCHANGED", "FAILED", "PENDING", "STARTED", "DURATION"]]
                + summaries.map { summary in
                    let run = summary.run
                    let counts = summary.counts
                    let seconds = FleetDatabase.date(from: run.startedAt).map { start in
                        (run.finishedAt.flatMap(FleetDatabase.date(from:)) ?? Date()).timeIntervalSince(start)
                    } ?? 0
                    return ["\(run.id)", run.kind.rawValue, run.templateName, summary.state.rawValue, "\(counts.total)",
                            "\(counts.succeeded)", "\(counts.unchanged)", "\(counts.failed)", "\(counts.pending + counts.running)",
                            run.startedAt, StatusReport.duration(max(0, seconds))]
                }
            Console.out(Table.render(rows))
            return .success
        }
    }
}
