import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetSamples
import FleetSimulator
import FleetStore
import Foundation

struct Demo: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole story on a built-in simulator: import, plan, rollout with faults, status, retry.",
        discussion: """
            Starts a simulated SignalWire on 127.0.0.1, over HTTPS with a certificate \
            of its own (which fleet trusts with --ca-file, as it would a corporate authority), with \
            transient faults (500s, dropped \
            connections, 429s, a 503 for each project's first request) and two project tokens that \
            are out of date, then runs, one after the other, the commands an operator would type: \
            import the 40 sample projects, plan, roll out samples/profile.json, read the status, \
            import the corrected tokens, retry, read the final status. Before each step it prints the \
            command as you would type it against real SignalWire. The sample files are built into \
            fleet; the database goes to a new temporary folder unless --db names a file that does not \
            exist yet. --api-base is not used: the demo talks to its own simulator only.

            Example:
              $ swift run fleet demo
              $ fleet demo --db /tmp/demo.db
              $ fleet runs --db /tmp/demo.db
            """)

    @OptionGroup var database: DatabaseOption

    func run(in context: CommandContext) async throws -> ExitStatus {
        let folder = try TemporaryFolder.make(prefix: "fleet-demo")
        let path = database.db ?? folder + "/fleet.db"
        if FileManager.default.fileExists(atPath: path) {
            throw FleetError.usage(
                "the demo needs a new database, and \(path) exists; give --db a path that does not exist yet.")
        }
        let samples = try Self.writeSamples(in: folder)
        let accounts = try SimulatorAccounts.fromCSV(paths: [
            samples + "projects.csv", samples + "corrected-tokens.csv",
        ])
        let simulator = try SignalWireSimulator(accounts: accounts, configuration: Self.faults)
        let (projectCount, spaceCount) = (accounts.projectCount, accounts.tokens.count)
        let authority = folder + "/simulator-ca.pem"
        let tls = try SimulatorTLS.generated(authorityFile: authority)
        let ok = try await SimulatorServer(simulator: simulator, tls: tls).withRunning { apiBase in
            context.console.out(Self.introduction(projects: projectCount, spaces: spaceCount, apiBase: apiBase))
            var last: Int32 = 0
            for step in Self.steps(samples: samples) {
                context.console.out("\n$ fleet \(step.shown)")
                let api =
                    ["plan", "rollout", "retry"].contains(step.arguments[0])
                    ? ["--api-base", apiBase, "--ca-file", authority] : []
                last = await CommandRunner.run(step.arguments + ["--db", path] + api, in: context)
            }
            return last == 0
        }
        context.console.out("")
        let runs = CommandHint(database: path)("runs")
        guard ok else {
            context.console.err(
                "fleet: the demo's final status is not all green; see above. Its database is \(path); look with `\(runs)`."
            )
            return .failure
        }
        context.console.out(
            "demo finished: every project succeeded. Its database is \(path); look around with `\(runs)`.")
        return .success
    }

    /// The sample files, written to `folder/samples/`; that folder's path, with its slash.
    private static func writeSamples(in folder: String) throws -> String {
        let samples = folder + "/samples/"
        try FileManager.default.createDirectory(atPath: samples, withIntermediateDirectories: true)
        for (name, text) in FleetSamples.files {
            try Data(text.utf8).write(to: URL(fileURLWithPath: samples + name))
        }
        return samples
    }

    private static func introduction(projects: Int, spaces: Int, apiBase: String) -> String {
        """
        fleet demo: \(projects) projects in \(spaces) spaces, rolled out over HTTPS (HTTP/2, every request a stream of one connection) to a simulated SignalWire at \
        \(apiBase.replacingOccurrences(of: "/{space}/api/relay/rest", with: "")), whose certificate fleet trusts through \
        --ca-file (verification is never off).
        It answers like the real API, plus faults: 8% of requests fail with 500, 3% lose their \
        connection, more than 40 requests a second in a space get 429, each project's first request \
        gets 503, and two projects' tokens in the inventory are out of date.
        Each step shows the command you would type against real SignalWire.
        """
    }

    static var faults: SimulatorConfiguration {
        var faults = SimulatorConfiguration()
        faults.latency = .milliseconds(15)
        faults.failRate = 0.08
        faults.dropRate = 0.03
        faults.failFirst = 1
        faults.rateLimit = 40
        faults.seed = 2026
        return faults
    }

    /// The operator's commands, as shown and as run.
    static func steps(samples: String) -> [(shown: String, arguments: [String])] {
        [
            ("import samples/projects.csv", ["import", samples + "projects.csv"]),
            ("plan samples/profile.json", ["plan", samples + "profile.json", "--quiet"]),
            (
                "rollout samples/profile.json --concurrency 16 --yes",
                ["rollout", samples + "profile.json", "--concurrency", "16", "--yes"]
            ),
            ("status", ["status"]),
            ("import samples/corrected-tokens.csv", ["import", samples + "corrected-tokens.csv"]),
            ("retry --yes", ["retry", "--yes"]),
            ("status", ["status"]),
        ]
    }
}
