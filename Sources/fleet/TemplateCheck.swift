import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Work with SIP-profile templates.",
        discussion: """
            A template is a JSON object with any of the five writable SIP-profile fields; see \
            `fleet template check --help` for the format.

            Example:
              $ fleet template check profile.json
            """,
        subcommands: [Check.self])

    struct Check: FleetCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a template for every enabled project; show the rendered body.",
            discussion: """
                A template is a JSON object with any of domain_identifier, default_codecs, \
                default_ciphers, default_encryption and default_send_as. String values may hold \
                {{name}} placeholders, filled from the project's space, project_id, label or any extra \
                CSV column. Checks keys (a key given twice included), types, enums, E.164 numbers and \
                that every enabled project (or the one given) can fill every placeholder; prints the body \
                fleet would merge over that project's profile. Sends nothing.

                Example:
                  $ fleet template check profile.json --project 4f1c2a8e-9b7d-4c3e-…
                """)

        @OptionGroup var database: DatabaseOption

        @Argument(help: ArgumentHelp("The template.", valueName: "template.json"), completion: Completions.json)
        var template: String

        @Option(help: ArgumentHelp("Render for this project only, and show its body.", valueName: "uuid"))
        var project: String?

        func run(in context: CommandContext) async throws -> ExitStatus {
            let template = try Template.load(path: template)
            let database = try database.open(.read, context)
            let selection = project.map { Selection(projectIDs: [$0], includeDisabled: true) } ?? Selection()
            let projects = try database.projects(selection)
            if let project, projects.isEmpty {
                throw FleetError(
                    "there is no project \(project) in \(database.path); `\(database.hint("projects"))` lists the inventory.",
                    status: .usage)
            }
            let patches = try template.renderAll(projects)
            if let first = projects.first, let patch = patches.first, project != nil || projects.count == 1 {
                context.console.out("body for \(first.space) \(first.projectID):")
                context.console.out(try ReportJSON.encode(patch.json, pretty: true))
            }
            context.console.out(
                "\(template.name) is valid and renders for \(projects.count) \(projects.count == 1 ? "project" : "projects")."
            )
            return .success
        }
    }
}
