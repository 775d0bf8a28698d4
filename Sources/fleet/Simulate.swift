import ArgumentParser
import FleetCore
import FleetSimulator
import Foundation

struct Simulate: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a local SignalWire SIP-profile API to rehearse against.",
        discussion: """
            Serves GET and PUT /{space}/api/relay/rest/sip_profile (and /api/relay/rest/sip_profile \
            with the space taken from the Host header) on 127.0.0.1, with Basic auth checked against \
            the accounts of --accounts FILE.csv (an inventory CSV) or, without it, of the --db \
            inventory. PUT bodies are validated as the SignalWire API does (422 with details). Serves \
            until Ctrl-C.

            Faults: --latency MS on every answer; --fail-rate P answers 500; --rate-limit N answers \
            429 with Retry-After past N requests per second per space; --drop-rate P closes the \
            connection without answering; --slow-rate P answers after --slow-delay seconds; \
            --fail-first K answers each project's first K requests 503; --revoked FILE refuses the \
            listed project ids. --seed makes the faults reproducible.

            Example:
              $ fleet simulate --port 8080 --accounts projects.csv --latency 20 --fail-rate 0.05
              $ fleet rollout profile.json --api-base 'http://127.0.0.1:8080/{space}/api/relay/rest'
            """)

    @OptionGroup var database: DatabaseOption

    @Option(help: ArgumentHelp("The port on 127.0.0.1 (0 picks a free one).", valueName: "port"))
    var port: Int = 8080

    @Option(help: ArgumentHelp("An inventory CSV whose tokens the simulator accepts (default: the --db inventory).", valueName: "file.csv"))
    var accounts: String?

    @Option(help: ArgumentHelp("Milliseconds added to every answer.", valueName: "ms"))
    var latency: Double = 0

    @Option(name: .customLong("fail-rate"), help: ArgumentHelp("Share of requests answered 500.", valueName: "p"))
    var failRate: Double = 0

    @Option(name: .customLong("rate-limit"), help: ArgumentHelp("Requests per second per space before 429.", valueName: "n"))
    var rateLimit: Int?

    @Option(name: .customLong("drop-rate"), help: ArgumentHelp("Share of requests whose connection is closed unanswered.", valueName: "p"))
    var dropRate: Double = 0

    @Option(name: .customLong("slow-rate"), help: ArgumentHelp("Share of requests answered after --slow-delay.", valueName: "p"))
    var slowRate: Double = 0

    @Option(name: .customLong("slow-delay"), help: ArgumentHelp("Seconds a slow answer takes (default 35, past fleet's default timeout).", valueName: "s"))
    var slowDelay: Double = 35

    @Option(name: .customLong("fail-first"), help: ArgumentHelp("Each project's first K requests get 503.", valueName: "k"))
    var failFirst: Int = 0

    @Option(help: ArgumentHelp("A file of project ids (one per line) whose credentials are always refused.", valueName: "file"))
    var revoked: String?

    @Option(help: ArgumentHelp("Seed of the fault choices.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Write one JSON line per request (method, space, project id, status, duration; never a token).", valueName: "file"))
    var log: String?

    func validate() throws {
        for (name, value) in [("--fail-rate", failRate), ("--drop-rate", dropRate), ("--slow-rate", slowRate)] where !(0...1).contains(value) {
            throw ValidationError("\(name) is a probability between 0 and 1.")
        }
        if !(0...600_000).contains(latency) { throw ValidationError("--latency must be between 0 and 600000 milliseconds.") }
        if !(0...3600).contains(slowDelay) { throw ValidationError("--slow-delay must be between 0 and 3600 seconds.") }
        if !(0...1000).contains(failFirst) { throw ValidationError("--fail-first must be between 0 and 1000.") }
        if let rateLimit, rateLimit < 1 { throw ValidationError("--rate-limit must be at least 1.") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535.") }
    }

    func configuration() throws -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(Int64(latency))
        configuration.failRate = failRate
        configuration.rateLimit = rateLimit
        configuration.dropRate = dropRate
        configuration.slowRate = slowRate
        configuration.slowDelay = .milliseconds(Int64(slowDelay * 1000))
        configuration.failFirst = failFirst
        configuration.revoked = try revoked.map(SimulatorConfiguration.revokedProjects(path:)) ?? []
        configuration.seed = seed
        return configuration
    }

    func execute(in context: CommandContext) async throws -> ExitStatus {
        let accounts = try accounts.map(SimulatorAccounts.fromCSV(path:))
            ?? SimulatorAccounts.fromDatabase(database.open(.read, context), vault: TokenVault.fromEnvironment(context.environment))
        let simulator = try SignalWireSimulator(accounts: accounts, configuration: configuration(), logPath: log)
        try await SimulatorServer(simulator: simulator).runUntilSignalled(port: port) { port in
            context.console.out("simulating the SignalWire SIP-profile API for \(accounts.projectCount) projects in \(accounts.tokens.count) spaces on 127.0.0.1:\(port)")
            context.console.out("use: --api-base 'http://127.0.0.1:\(port)/{space}/api/relay/rest'   (Ctrl-C stops)")
        }
        context.console.err("fleet: simulator stopped.")
        return .success
    }
}
