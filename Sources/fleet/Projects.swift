import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

struct Projects: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the inventory, tokens masked.",
        discussion: """
            Lists every project (disabled ones too) with its space, label, tags, whether it is enabled, \
            its masked token and its template variables. --space, --tag, --project and --projects-from narrow \
            the list (--tag repeated: projects carrying every tag given); --exclude-space, --exclude-tag \
            and --exclude-project leave projects out. Only reads the database.

            Example:
              $ fleet projects --space acme --tag eu
              $ fleet projects --json
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var selection: SelectionOptions

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct Entry: Encodable {
        var space: String
        var project_id: String
        var label: String
        var tags: [String]
        var enabled: Bool
        var token: String
        var variables: [String: String]
    }

    func run(in context: CommandContext) async throws -> ExitStatus {
        let vault = try TokenVault.fromEnvironment(context.environment)
        let database = try database.open(.read, context)
        let listed = try selection.selection(in: database, includeDisabled: true)
        try database.checkMatches(listed)
        let projects = try database.projects(listed)
        let entries = projects.map { project in
            Entry(
                space: project.space, project_id: project.projectID, label: project.label, tags: project.tags,
                enabled: project.enabled,
                token: Credentials.mask(
                    (try? vault.open(project.storedToken, project: project.projectID)) ?? project.storedToken),
                variables: project.variables)
        }
        if json {
            context.console.out(try ReportJSON.encode(entries))
            return .success
        }
        let rows =
            [["SPACE", "PROJECT", "LABEL", "TAGS", "ENABLED", "TOKEN", "VARIABLES"]]
            + entries.map { entry in
                [
                    entry.space, entry.project_id, entry.label, entry.tags.joined(separator: ";"),
                    entry.enabled ? "yes" : "no", entry.token,
                    entry.variables.keys.sorted().map { "\($0)=\(entry.variables[$0]!)" }.joined(separator: " "),
                ].map(\.escapingControlCharacters)
            }
        context.console.out(Table.render(rows))
        context.console.out("\(entries.count) \(entries.count == 1 ? "project" : "projects")")
        return .success
    }
}
