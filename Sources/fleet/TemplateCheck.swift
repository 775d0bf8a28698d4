import ArgumentParser
import FleetCore
import Foundation

struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Work with SIP-profile templates.",
        discussion: """
            A template is a JSON object with any of the five writable SIP-profile fields; see             `fleet template check --help` for the format.

            Example:
              $ fleet template check profile.json
            """,
        subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a template for every enabled project; show the rendered body.",
            discussion: """
                A template is a JSON object with any of domain_identifier, default_codecs, \
                default_ciphers, default_encryption and default_send_as. String values may hold \
                {{name}} placeholders, filled from the project's space, project_id, label or any extra \
                CSV column. Checks keys, types, enums, E.164 numbers and that every enabled project \
                (or the one given) can fill every placeholder; prints the body fleet would merge over \
                that project's profile. Sends nothing.

                Example:
                  $ fleet template check profile.json --project 4f1c2a8e-9b7d-4c3e-a1f0-2d5e6b7c8a90
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("The template.", valueName: "template.json"))
        var template: String

        @Option(help: ArgumentHelp("Render for this project only, and show its body.", valueName: "uuid"))
        var project: String?

        func run() async throws {
            try await Console.perform {
                let template = try Template.load(path: template)
                let database = try global.openDatabase()
                let selection = project.map { Selection(projectIDs: [$0], includeDisabled: true) } ?? Selection()
                let projects = try database.projects(selection)
                if let project, projects.isEmpty {
                    throw FleetError("there is no project \(project) in \(database.path); `fleet projects` lists the inventory.", status: .usage)
                }
                let patches = try template.renderAll(projects)
                if let first = projects.first, let patch = patches.first, project != nil || projects.count == 1 {
                    Console.out("body for \(first.space) \(first.projectID):")
                    Console.out(Self.describe(patch))
                }
                Console.out("\(template.name) is valid and renders for \(projects.count) \(projects.count == 1 ? "project" : "projects").")
                return .success
            }
        }

        static func describe(_ patch: ProfilePatch) -> String {
            var object: [String: JSONValue] = [:]
            if let value = patch.domainIdentifier { object["domain_identifier"] = .string(value) }
            if let value = patch.defaultCodecs { object["default_codecs"] = .array(value.map(JSONValue.string)) }
            if let value = patch.defaultCiphers { object["default_ciphers"] = .array(value.map(JSONValue.string)) }
            if let value = patch.defaultEncryption { object["default_encryption"] = .string(value) }
            if let value = patch.defaultSendAs { object["default_send_as"] = value.map(JSONValue.string) ?? .null }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? encoder.encode(JSONValue.object(object))) ?? Data(), as: UTF8.self)
        }
    }
}
