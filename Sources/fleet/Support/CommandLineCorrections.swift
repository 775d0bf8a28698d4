import ArgumentParser
import FleetModel

/// What fleet says about a command line it can see is mistyped, before argument-parser reads it:
/// a misspelt subcommand gets "did you mean" with the whole corrected line, and options put
/// before the subcommand get the line with them after it (they belong to the subcommand).
enum CommandLineCorrections {
    static let commands = Fleet.configuration.subcommands.map { $0._commandName }

    /// The sentence for a mistyped command line, or nil when argument-parser should read it.
    static func problem(_ arguments: [String]) -> String? {
        guard let first = arguments.first else { return nil }
        // The root's own options, and argument-parser's `---completion` for the shell.
        let rootOptions = ["-h", "--help", "--version", "--generate-completion-script", "--experimental-dump-help"]
        if rootOptions.contains(first) || first.hasPrefix("---") { return nil }
        if first.hasPrefix("-") {
            guard let at = arguments.firstIndex(where: commands.contains), at > 0 else { return nil }
            return "options go after the subcommand: `\(line(Array(arguments[at...]) + arguments[..<at]))`"
        }
        if first == "help", arguments.count > 1 { return unknown(arguments[1], before: ["help"], rest: []) }
        return unknown(first, before: [], rest: Array(arguments.dropFirst()))
    }

    private static func unknown(_ name: String, before: [String], rest: [String]) -> String? {
        guard !commands.contains(name), name != "help" else { return nil }
        guard let close = Suggestion.closest(to: name, in: commands) else {
            return "there is no command \(name); `fleet --help` lists the commands."
        }
        return "there is no command \(name); did you mean `\(line(before + [close] + rest))`?"
    }

    private static func line(_ words: [String]) -> String {
        "fleet " + words.map(ShellWord.quote).joined(separator: " ")
    }

    /// argument-parser's message for a parse error, without a "did you mean" that is not close
    /// (it offers `--db` for `--csv`).
    static func message(_ message: String) -> String {
        guard let match = message.firstMatch(of: /Unknown option '(-[^']*)'\. Did you mean '(-[^']*)'\?/),
            Suggestion.closest(to: String(match.1), in: [String(match.2)]) == nil
        else { return message }
        return message.replacingCharacters(in: match.range, with: "Unknown option '\(match.1)'.")
    }
}
