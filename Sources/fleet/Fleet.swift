import ArgumentParser
import Foundation

@main
struct Fleet: AsyncParsableCommand {
    static let version = "0.4.0"

    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract:
            "Apply one SIP-profile template to many SignalWire projects at once, and keep track of every attempt.",
        discussion: """
            fleet keeps an inventory of SignalWire spaces, projects and API tokens in SQLite, rolls a \
            SIP-profile template out to them concurrently with retries, records every HTTP attempt and \
            outcome, and reruns what failed. Options come after the subcommand.

            A typical session:
              $ fleet import projects.csv
              $ fleet plan profile.json
              $ fleet rollout profile.json --concurrency 32
              $ fleet status
              $ fleet retry

            Exit status: 0 when every selected project ended succeeded or unchanged; 1 when any failed \
            or drifted, or the run was halted or interrupted; 64 usage error; 65 bad CSV, template or \
            plan file; 70 internal error; 74 I/O error (disk full, unreadable database).
            """,
        version: version,
        subcommands: [
            Import.self, Projects.self, TemplateCommand.self, Plan.self, Rollout.self, Status.self, Runs.self,
            Retry.self, Rollback.self, Verify.self, History.self, HoldCommand.self, UnholdCommand.self,
            HoldsCommand.self, Report.self, Simulate.self, Demo.self,
        ])

    /// The binary reads its command line as the tests and the demo do (`CommandRunner.run`), so
    /// a mistyped one gets the same "did you mean".
    static func main() async {
        let status = await CommandRunner.run(Array(CommandLine.arguments.dropFirst()), in: .live())
        Foundation.exit(status)
    }
}
