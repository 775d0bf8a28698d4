import ArgumentParser
import FleetCore

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upsert spaces and projects from an inventory CSV; all or nothing.",
        discussion: """
            The file is RFC 4180 CSV in UTF-8 (a BOM and CRLF line ends are fine) with a header row. \
            Required columns: space, project_id, token. Optional: label, tags (separated by ;), enabled \
            (true/false). Every other column is a template variable of that project; an empty cell \
            removes the variable.

            Rows are keyed by (space, project_id): importing again updates the token, label, tags, \
            enabled and variables that the file has columns for, and leaves the rest alone. A file with \
            any bad row imports nothing and lists every bad row as FILE:LINE: reason (exit 65).

            Tokens are stored sealed with AES-GCM when FLEET_KEY (32 bytes, base64) is set, and are \
            never printed.

            Example:
              $ fleet import projects.csv
              imported 40 projects in 4 spaces: 40 new, 0 updated
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The inventory CSV.", valueName: "file.csv"))
    var file: String

    func run() async throws {
        try await Console.perform {
            let inventory = try InventoryFile.load(path: file)
            let vault = try TokenVault.fromEnvironment()
            let summary = try global.openDatabase().importInventory(inventory, vault: vault)
            Console.out(summary.sentence)
            return .success
        }
    }
}
