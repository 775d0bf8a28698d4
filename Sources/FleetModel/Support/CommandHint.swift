/// Builds the command lines fleet prints as next steps so they work when pasted into the same
/// shell: options after the subcommand, and the `--db` in effect when it is not the default.
package struct CommandHint: Sendable, Equatable {
    /// The database path when it is not the default `fleet.db`.
    package var database: String?

    package init(database: String?) {
        self.database = database == "fleet.db" ? nil : database
    }

    /// `fleet retry 3 --db ops.db` from `retry 3`.
    package func callAsFunction(_ words: String) -> String {
        "fleet \(words)" + (database.map { " --db \(ShellWord.quote($0))" } ?? "")
    }
}
