import ArgumentParser
import FleetModel

// Option values parsed once, by argument-parser, into the model's types; a value that does not
// parse is argument-parser's usage error naming the option, before anything is opened.

/// `--max-failures 10` or `--max-failures 5%`.
extension FailureLimit: ExpressibleByArgument {}

/// `--state pending`: pending, running, succeeded, unchanged, failed.
extension TaskState: ExpressibleByArgument {}

/// `--waves 10,10%,50%,100%`: cumulative wave ends.
struct WaveList: ExpressibleByArgument, Sendable, Equatable {
    var ends: [WaveEnd]

    init?(argument: String) {
        guard let ends = WaveEnd.parseList(argument) else { return nil }
        self.ends = ends
    }
}

/// A duration option (`--bake`, `--interval`): `30s`, `10m`, `1h` (a unit is required), at most seven days.
struct TimeSpan: ExpressibleByArgument, Sendable, Equatable {
    var seconds: Double

    init?(argument: String) {
        guard let seconds = BakeDuration.parse(argument) else { return nil }
        self.seconds = seconds
    }
}

/// `--json` or `--csv`, at most one of them.
enum OutputFormat: String, EnumerableFlag, Sendable {
    case json, csv

    static func help(for value: OutputFormat) -> ArgumentHelp? {
        switch value {
        case .json: "Print one JSON object (the schema in the README)."
        case .csv: "Print one CSV row per project."
        }
    }
}
