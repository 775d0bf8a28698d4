import ArgumentParser
import FleetCore
import FleetSamples
import FleetSimulator
import Foundation

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole story on a built-in simulator: import, plan, rollout with faults, status, retry.",
        discussion: """
            Starts a simulated SignalWire on 127.0.0.1 with transient faults (500s, dropped \
            connections, 429s, a 503 for each project's first request) and two project tokens that \
            are out of date, then runs, one after the other, the commands an operator would type: \
            import the 40 sample projects, plan, roll out samples/profile.json, read the status, \
            import the corrected tokens, retry, read the final status. Before each step it prints the \
            command as you would type it against real SignalWire. The sample files are built into \
            fleet; the database goes to a new temporary folder unless --db names a file that does not \
            exist yet. --api-base is not used: the demo talks to its own simulator only.

            Example:
              $ swift run fleet demo
              $ fleet demo --db /tmp/demo.db && fleet --db /tmp/demo.db runs
            """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await Console.perform {
            let folder = try TemporaryFolder.make(prefix: "fleet-demo")
            let database = global.db ?? folder + "/fleet.db"
            if FileManager.default.fileExists(atPath: database) {
                throw FleetError.usage("the demo needs a new database, and \(database) exists; give --db a path that does not exist yet.")
            }
            try FileManager.default.createDirectory(atPath: folder + "/samples", withIntermediateDirectories: true)
            for (name, text) in FleetSamples.files {
                try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/samples/" + name))
            }
            let samples = folder + "/samples/"
            var accounts = try SimulatorAccounts.fromCSV(path: samples + "projects.csv")
            let corrected = try InventoryFile.load(path: samples + "corrected-tokens.csv")
            for row in corrected.rows { accounts.tokens[row.space, default: [:]][row.projectID] = row.token }
            var faults = SimulatorConfiguration()
            faults.latency = .milliseconds(15)
            faults.failRate = 0.08
            faults.dropRate = 0.03
            faults.failFirst = 1
            faults.rateLimit = 40
            faults.seed = 2026
            let simulator = try SignalWireSimulator(accounts: accounts, configuration: faults)
            let (projectCount, spaceCount) = (accounts.projectCount, accounts.tokens.count)

            let ok = try await SimulatorServer(simulator: simulator).withRunning { apiBase in
                Console.out("""
                    fleet demo: \(projectCount) projects in \(spaceCount) spaces, rolled out to a simulated SignalWire at \
                    \(apiBase.replacingOccurrences(of: "/{space}/api/relay/rest", with: "")).
                    It answers like the real API, plus faults: 8% of requests fail with 500, 3% lose their \
                    connection, more than 40 requests a second in a space get 429, each project's first request \
                    gets 503, and two projects' tokens in the inventory are out of date.
                    Each step shows the command you would type against real SignalWire.
                    """)
                let steps: [(shown: String, arguments: [String])] = [
                    ("import samples/projects.csv", ["import", samples + "projects.csv"]),
                    ("plan samples/profile.json", ["plan", samples + "profile.json", "--quiet"]),
                    ("rollout samples/profile.json --concurrency 16", ["rollout", samples + "profile.json", "--concurrency", "16"]),
                    ("status", ["status"]),
                    ("import samples/corrected-tokens.csv", ["import", samples + "corrected-tokens.csv"]),
                    ("retry", ["retry"]),
                    ("status", ["status"]),
                ]
                var last: Int32 = 0
                for step in steps {
                    Console.out("\n$ fleet \(step.shown)")
                    last = await Self.runCommand(step.arguments + ["--db", database, "--api-base", apiBase])
                }
                return last == 0
            }
            Console.out("")
            if ok {
                Console.out("demo finished: every project succeeded. Its database is \(database); look around with `fleet --db \(database) runs`.")
                return .success
            }
            Console.err("fleet: the demo's final status is not all green; see above. Its database is \(database).")
            return .failure
        }
    }

    /// Runs one fleet command in this process, as if typed; returns its exit status.
    static func runCommand(_ arguments: [String]) async -> Int32 {
        do {
            var command = try Fleet.parseAsRoot(arguments)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            Console.err("fleet: \(Fleet.message(for: error))")
            return Fleet.exitCode(for: error).rawValue
        }
    }
}

enum TemporaryFolder {
    static func make(prefix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8).lowercased())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
