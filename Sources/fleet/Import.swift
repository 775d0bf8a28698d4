import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

struct Import: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upsert spaces and projects from an inventory CSV; all or nothing.",
        discussion: """
            The file is RFC 4180 CSV in UTF-8 (a BOM and CRLF line ends are fine) with a header row. \
            Required columns: space, project_id, token. Optional: label, tags (separated by ;), enabled \
            (true/false). Every other column is a template variable of that project; an empty cell \
            removes the variable. A header that looks like a misspelt column (enabeld, lable, \
            project-id) is refused with "did you mean", so a typo never becomes a variable.

            Rows are keyed by (space, project_id): importing again updates the token, label, tags, \
            enabled and variables that the file has columns for, and leaves the rest alone. It says how \
            many projects are new, had their token changed, had another field changed, or were \
            identical; --dry-run says the same and writes nothing (nor creates a database). A file with \
            any bad row (a control character in a field included) imports nothing and lists every bad \
            row as FILE:LINE: reason (exit 65). This is the only command that creates a database.

            Tokens are stored sealed with AES-GCM when FLEET_KEY (32 bytes, base64) is set, and are \
            never printed.

            Example:
              $ fleet import projects.csv
              imported 40 projects in 4 spaces: 40 new, 0 token changed, …
              $ fleet import corrected-tokens.csv --dry-run
              $ fleet import projects.csv --db ops.db
            """)

    @OptionGroup var database: DatabaseOption

    @Argument(
        help: ArgumentHelp("The inventory CSV (- reads it from stdin).", valueName: "file.csv"),
        completion: Completions.csv)
    var file: String

    @Flag(name: .customLong("dry-run"), help: "Say what the import would do (new, token changed, …); write nothing.")
    var dryRun = false

    func run(in context: CommandContext) async throws -> ExitStatus {
        let inventory = try InventoryFile.load(path: file)
        let vault = try TokenVault.fromEnvironment(context.environment)
        if dryRun {
            let exists = FileManager.default.fileExists(atPath: database.path(context))
            let summary =
                exists
                ? try database.open(.read, context).previewImport(inventory, vault: vault)
                : try ImportSummary(inventory, vault: vault)
            context.console.out(summary.preview)
            return .success
        }
        let summary = try database.open(.create, context).importInventory(
            inventory, vault: vault, now: context.clock.date())
        context.console.out(summary.sentence)
        return .success
    }
}
