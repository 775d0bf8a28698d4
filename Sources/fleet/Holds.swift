import ArgumentParser
import FleetCore
import FleetModel
import FleetStore
import Foundation

/// `fleet hold PROJECT FIELD… --reason TEXT [--until DATE]`.
struct HoldCommand: FleetCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Accept a deviation: plan and rollout leave these fields of a project as they are live.",
        discussion: """
            PROJECT is a project id (UUID), SPACE/UUID or a label only one project has; FIELD is one \
            of the writable fields (\(ProfileField.keys)). While the hold is in effect, plan and \
            rollout merge the template over the live profile except those fields; a project whose \
            only differences are held is unchanged and counts as in line with the template. Holding \
            a field held already takes the new reason and end. --until (an ISO 8601 time with an \
            offset, or a date: through the end of that day, local time) ends it by itself. Rollback \
            restores whole profiles; holds do not apply to it.

            Example:
              $ fleet hold 'Globex SYD' default_codecs --reason 'PBX speaks PCMU only (CHG-2291)'
              $ fleet hold 0b2d6c1e-3f4a-4b5c-8d9e-1f2a3b4c5d6e default_encryption --reason 'freeze' --until 2027-01-31
            """)

    @OptionGroup var database: DatabaseOption

    @Argument(help: ArgumentHelp("The project: UUID, SPACE/UUID or a unique label.", valueName: "project"))
    var project: String

    @Argument(help: ArgumentHelp("The fields to hold.", valueName: "field"))
    var fields: [String]

    @Option(help: ArgumentHelp("Why (required; shown in plans, holds and reports).", valueName: "text"))
    var reason: String

    @Option(help: ArgumentHelp("When the hold lapses: ISO 8601 with an offset, or a date.", valueName: "time"))
    var until: String?

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--reason must say why the fields are held.")
        }
        if fields.isEmpty { throw ValidationError("name at least one field to hold (\(ProfileField.keys)).") }
    }

    func run(in context: CommandContext) async throws -> ExitStatus {
        let now = context.clock.date()
        let fields = try HoldCommand.fields(self.fields)
        let until = try until.map { text -> Date in
            let date = try WallTime.parse(text, option: "--until", now: now)
            guard date > now else {
                throw FleetError.usage("--until \(text.escapingControlCharacters) is already past; give a later time.")
            }
            return date
        }
        let database = try database.open(.write, context)
        let project = try database.project(named: project)
        try database.hold(
            project, fields: fields, reason: reason, by: context.who, now: now, until: until)
        let hint = self.database.hint(context)
        context.console.out(
            "held \(fields.map(\.key).joined(separator: ", ")) of \(project.heading)\(until.map { " until \(WallTime.text($0))" } ?? ""); plan and rollout leave \(fields.count == 1 ? "it" : "them") as \(fields.count == 1 ? "it is" : "they are") live. `\(hint("holds"))` lists holds; `\(hint("unhold \(project.spaceAndID)"))` ends them."
        )
        return .success
    }

    /// The fields named, each a writable field (with the closest one for a typo).
    static func fields(_ names: [String]) throws -> [ProfileField] {
        try names.map { name in
            if let field = ProfileField(rawValue: name) { return field }
            let close = Suggestion.closest(to: name, in: ProfileField.allCases.map(\.key)).map {
                "did you mean \($0)? "
            }
            throw FleetError.usage(
                "\(name.escapingControlCharacters) is not a writable field; \(close ?? "")the fields are \(ProfileField.keys)."
            )
        }
    }
}

/// `fleet unhold PROJECT [FIELD…]`.
struct UnholdCommand: FleetCommand {
    static let configuration = CommandConfiguration(
        commandName: "unhold",
        abstract: "End holds: the next plan and rollout change those fields as the template says.",
        discussion: """
            Ends the project's holds on the fields given, or all of its holds without a field.

            Example:
              $ fleet unhold 'Globex SYD' default_codecs
              $ fleet unhold 'Globex SYD'
            """)

    @OptionGroup var database: DatabaseOption

    @Argument(help: ArgumentHelp("The project: UUID, SPACE/UUID or a unique label.", valueName: "project"))
    var project: String

    @Argument(help: ArgumentHelp("The fields to release (default: all the project's holds).", valueName: "field"))
    var fields: [String] = []

    func run(in context: CommandContext) async throws -> ExitStatus {
        let fields = fields.isEmpty ? nil : try HoldCommand.fields(self.fields)
        let database = try database.open(.write, context)
        let project = try database.project(named: project)
        let ended = try database.unhold(project, fields: fields)
        guard !ended.isEmpty else {
            throw FleetError.usage(
                "\(project.heading) has no hold\(fields.map { " on \($0.map(\.key).joined(separator: ", "))" } ?? ""); `\(self.database.hint(context)("holds --all"))` lists holds."
            )
        }
        context.console.out(
            "ended the hold on \(ended.map(\.field.key).joined(separator: ", ")) of \(project.heading); the next rollout changes \(ended.count == 1 ? "it" : "them") as the template says."
        )
        return .success
    }
}

/// `fleet holds [--json] [--all]`.
struct HoldsCommand: FleetCommand {
    static let configuration = CommandConfiguration(
        commandName: "holds",
        abstract: "List the holds in effect (accepted deviations).",
        discussion: """
            One line per held field: the project, the field, why, who placed it and when, and until \
            when. --all lists lapsed holds too. Only reads the database.

            Example:
              $ fleet holds
              $ fleet holds --all --json
            """)

    @OptionGroup var database: DatabaseOption

    @Flag(help: "List lapsed holds too.")
    var all = false

    @Flag(help: "Print a JSON array.")
    var json = false

    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct Entry: Encodable {
        var space: String
        var project_id: String
        var label: String
        var field: String
        var reason: String
        var held_by: String
        var held_at: String
        @NullEncoded var until: String?
        var in_effect: Bool
    }

    func run(in context: CommandContext) async throws -> ExitStatus {
        let now = context.clock.date()
        let every = try database.open(.read, context).holds()
        let holds = all ? every : every.filter { $0.isInEffect(at: now) }
        let lapsed = every.count - every.count { $0.isInEffect(at: now) }
        if json {
            context.console.out(
                try ReportJSON.encode(
                    holds.map {
                        Entry(
                            space: $0.space, project_id: $0.projectID, label: $0.label, field: $0.field.key,
                            reason: $0.reason, held_by: $0.heldBy, held_at: FleetDatabase.timestamp($0.heldAt),
                            until: $0.until.map(FleetDatabase.timestamp), in_effect: $0.isInEffect(at: now))
                    }))
            return .success
        }
        if !holds.isEmpty {
            let rows =
                [["SPACE", "PROJECT", "LABEL", "FIELD", "REASON", "BY", "SINCE", "UNTIL"]]
                + holds.map { hold in
                    [
                        hold.space, hold.projectID, hold.label, hold.field.key, hold.reason, hold.heldBy,
                        WallTime.text(hold.heldAt),
                        hold.until.map { WallTime.text($0) + (hold.isInEffect(at: now) ? "" : " (lapsed)") } ?? "",
                    ].map(\.escapingControlCharacters)
                }
            context.console.out(Table.render(rows))
        }
        let hint = database.hint(context)
        let count = holds.count { $0.isInEffect(at: now) }
        context.console.out(
            (count == 0
                ? "no holds in effect; `\(hint("hold PROJECT FIELD --reason TEXT"))` places one"
                : "\(count) held \(count == 1 ? "field" : "fields") in effect")
                + (lapsed > 0 && !all ? "; \(lapsed) lapsed (`\(hint("holds --all"))` lists them)" : "") + ".")
        return .success
    }
}
