import ArgumentParser
import FleetCore
import Foundation

struct Projects: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the inventory, tokens masked.",
        discussion: """
            Lists every project (disabled ones too) with its space, label, tags, whether it is enabled, \
            its masked token and its template variables. --space, --tag and --project narrow the list.

            Example:
              $ fleet projects --space acme --tag eu
              $ fleet projects --json
            """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var selection: SelectionOptions

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    struct Entry: Encodable {
        var space: String
        var project_id: String
        var label: String
        var tags: [String]
        var enabled: Bool
        var token: String
        var variables: [String: String]
    }

    func run() async throws {
        try await Console.perform {
            let vault = try TokenVault.fromEnvironment()
            var listed = selection.selection
            listed.includeDisabled = true
            let projects = try global.openDatabase().projects(listed)
            let entries = projects.map { project in
                Entry(space: project.space, project_id: project.projectID, label: project.label, tags: project.tags,
                      enabled: project.enabled,
                      token: TokenVault.mask((try? vault.open(project.storedToken, project: project.projectID)) ?? project.storedToken),
                      variables: project.variables)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                Console.out(String(decoding: try encoder.encode(entries), as: UTF8.self))
                return .success
            }
            let rows = [["SPACE", "PROJECT", "LABEL", "TAGS", "ENABLED", "TOKEN", "VARIABLES"]] + entries.map { entry in
                [entry.space, entry.project_id, entry.label, entry.tags.joined(separator: ";"), entry.enabled ? "yes" : "no", entry.token,
                 entry.variables.keys.sorted().map { "\($0)=\(entry.variables[$0]!)" }.joined(separator: " ")]
            }
            Console.out(Table.render(rows))
            Console.out("\(entries.count) \(entries.count == 1 ? "project" : "projects")")
            return .success
        }
    }
}

/// Left-aligned columns, two spaces apart.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let width = rows.first?.count else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
