import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import Foundation

struct Simulate: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a local SignalWire SIP-profile API to rehearse against.",
        discussion: """
            Serves GET and PUT /{space}/api/relay/rest/sip_profile (and /api/relay/rest/sip_profile \
            with the space taken from the Host header) on 127.0.0.1, with Basic auth checked against \
            the accounts of --accounts FILE.csv (an inventory CSV; repeat it, and a later file's token \
            for a project replaces an earlier one's, as a token rotated in SignalWire) or, without it, of the --db \
            inventory. PUT bodies are validated as the SignalWire API does (422 with details). Serves \
            until Ctrl-C.

            With --tls it serves HTTPS, HTTP/2 and HTTP/1.1 offered by ALPN (--http1-only: HTTP/1.1), \
            with a certificate for 127.0.0.1, ::1 and localhost made at start by an authority of its \
            own, whose certificate it writes to --ca-out (default: a new temporary file) and names in \
            its first lines: give that file to fleet's --ca-file. --cert and --key serve your own \
            certificate (chain) and key instead.

            Faults: --latency MS on every answer; --fail-rate P answers 500; --rate-limit N answers \
            429 with Retry-After past N requests per second per space; --drop-rate P closes the \
            connection without answering (a PUT is applied first); --drop-write-rate P closes it only \
            after an applied PUT, as a connection reset after the write landed; --slow-rate P answers after --slow-delay seconds; \
            --write-limit N/S answers 429 rate_limit_exceeded past N PUTs in any S seconds in a space, \
            as SignalWire limits writes (with Retry-After unless --no-retry-after); \
            --fail-first K answers each project's first K requests 503; --revoked FILE refuses the \
            listed project ids. --seed makes the faults reproducible.

            Example:
              $ fleet simulate --port 8080 --accounts projects.csv --fail-rate 0.05
              $ fleet simulate --port 8443 --accounts projects.csv --tls --ca-out ca.pem
              $ fleet rollout profile.json \\
                  --api-base 'http://127.0.0.1:8080/{space}/api/relay/rest'
            """)

    @OptionGroup var database: DatabaseOption

    @Option(help: ArgumentHelp("The port on 127.0.0.1 (0 picks a free one).", valueName: "port"))
    var port: Int = 8080

    @Option(
        help: ArgumentHelp(
            "An inventory CSV whose tokens the simulator accepts (default: the --db inventory).", valueName: "file.csv")
    )
    var accounts: [String] = []

    @Option(help: ArgumentHelp("Milliseconds added to every answer.", valueName: "ms"))
    var latency: Double = 0

    @Option(name: .customLong("fail-rate"), help: ArgumentHelp("Share of requests answered 500.", valueName: "p"))
    var failRate: Double = 0

    @Option(
        name: .customLong("rate-limit"), help: ArgumentHelp("Requests per second per space before 429.", valueName: "n")
    )
    var rateLimit: Int?

    @Option(
        name: .customLong("rate-limit-space"),
        help: ArgumentHelp(
            "Apply --rate-limit to this space only (repeatable; default: every space).", valueName: "name"))
    var rateLimitSpaces: [String] = []

    @Option(
        name: .customLong("write-limit"),
        help: ArgumentHelp(
            "At most N PUTs per S seconds per space (a sliding window), then 429 rate_limit_exceeded.", valueName: "n/s"
        ))
    var writeLimit: String?

    @Flag(name: .customLong("no-retry-after"), help: "Answer --write-limit's 429s without Retry-After.")
    var noRetryAfter = false

    @Option(
        name: .customLong("drop-rate"),
        help: ArgumentHelp("Share of requests whose connection is closed unanswered.", valueName: "p"))
    var dropRate: Double = 0

    @Option(
        name: .customLong("drop-write-rate"),
        help: ArgumentHelp("Share of applied PUTs whose connection is closed before the answer.", valueName: "p"))
    var dropWriteRate: Double = 0

    @Option(
        name: .customLong("slow-rate"),
        help: ArgumentHelp("Share of requests answered after --slow-delay.", valueName: "p"))
    var slowRate: Double = 0

    @Option(
        name: .customLong("slow-delay"),
        help: ArgumentHelp("Seconds a slow answer takes (past fleet's default timeout of 30).", valueName: "s"))
    var slowDelay: Double = 35

    @Option(
        name: .customLong("fail-first"), help: ArgumentHelp("Each project's first K requests get 503.", valueName: "k"))
    var failFirst: Int = 0

    @Option(
        help: ArgumentHelp(
            "A file of project ids (one per line) whose credentials are always refused.", valueName: "file"))
    var revoked: String?

    @Option(help: ArgumentHelp("Seed of the fault choices.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(
        help: ArgumentHelp(
            "Write one JSON line per request (method, space, project id, status, duration; never a token).",
            valueName: "file"))
    var log: String?

    @Flag(help: "Serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with a certificate made at start.")
    var tls = false

    @Flag(name: .customLong("http1-only"), help: "With --tls, offer HTTP/1.1 only.")
    var http1Only = false

    @Option(
        name: .customLong("ca-out"),
        help: ArgumentHelp(
            "With --tls, where to write the authority's certificate (default: a new temporary file).", valueName: "file"
        ))
    var caOut: String?

    @Option(
        help: ArgumentHelp(
            "With --tls, serve this certificate (chain, PEM) instead of a generated one.", valueName: "file"))
    var cert: String?

    @Option(help: ArgumentHelp("With --cert, its private key (PEM).", valueName: "file"))
    var key: String?

    func validate() throws {
        for (name, value) in [
            ("--fail-rate", failRate), ("--drop-rate", dropRate), ("--drop-write-rate", dropWriteRate),
            ("--slow-rate", slowRate),
        ] where !(0...1).contains(value) {
            throw ValidationError("\(name) is a probability between 0 and 1.")
        }
        if !(0...600_000).contains(latency) {
            throw ValidationError("--latency must be between 0 and 600000 milliseconds.")
        }
        if !(0...3600).contains(slowDelay) { throw ValidationError("--slow-delay must be between 0 and 3600 seconds.") }
        if !(0...1000).contains(failFirst) { throw ValidationError("--fail-first must be between 0 and 1000.") }
        if let rateLimit, rateLimit < 1 { throw ValidationError("--rate-limit must be at least 1.") }
        if rateLimit == nil && !rateLimitSpaces.isEmpty {
            throw ValidationError("--rate-limit-space names the spaces --rate-limit applies to; give --rate-limit too.")
        }
        if let writeLimit, SimulatorConfiguration.writeLimit(writeLimit) == nil {
            throw ValidationError(
                "--write-limit must be N/S: at most N writes per S seconds (at most 3600), such as 200/10.")
        }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535.") }
        if (http1Only || caOut != nil || cert != nil) && !tls {
            throw ValidationError("--http1-only, --ca-out and --cert go with --tls.")
        }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together.") }
    }

    func tlsConfiguration() throws -> SimulatorTLS? {
        guard tls else { return nil }
        if let cert, let key { return try SimulatorTLS.files(certificate: cert, key: key, http1Only: http1Only) }
        let authority = try caOut ?? TemporaryFolder.make(prefix: "fleet-simulator") + "/authority.pem"
        return try SimulatorTLS.generated(authorityFile: authority, http1Only: http1Only)
    }

    func configuration() throws -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(Int64(latency))
        configuration.failRate = failRate
        configuration.rateLimit = rateLimit
        configuration.rateLimitedSpaces = Set(rateLimitSpaces.map { $0.lowercased() })
        configuration.writeLimit = writeLimit.flatMap(SimulatorConfiguration.writeLimit)
        configuration.retryAfter = !noRetryAfter
        configuration.dropRate = dropRate
        configuration.dropWriteRate = dropWriteRate
        configuration.slowRate = slowRate
        configuration.slowDelay = .milliseconds(Int64(slowDelay * 1000))
        configuration.failFirst = failFirst
        configuration.revoked = try revoked.map(SimulatorConfiguration.revokedProjects(path:)) ?? []
        configuration.seed = seed
        return configuration
    }

    func run(in context: CommandContext) async throws -> ExitStatus {
        let accounts =
            try accounts.isEmpty
            ? SimulatorAccounts.fromDatabase(
                database.open(.read, context), vault: TokenVault.fromEnvironment(context.environment))
            : SimulatorAccounts.fromCSV(paths: accounts)
        let simulator = try SignalWireSimulator(accounts: accounts, configuration: configuration(), logPath: log)
        let tls = try tlsConfiguration()
        let server = SimulatorServer(simulator: simulator, tls: tls)
        try await server.runUntilSignalled(port: port) { port in
            let serving = tls.map { $0.http1Only ? " (HTTPS, HTTP/1.1)" : " (HTTPS, HTTP/2 and HTTP/1.1)" } ?? ""
            context.console.out(
                "simulating the SignalWire SIP-profile API for \(accounts.projectCount) projects in \(accounts.tokens.count) spaces on 127.0.0.1:\(port)\(serving)"
            )
            if let authority = tls?.authorityFile {
                context.console.out("its certificate authority is in \(authority)")
            }
            let trust = tls?.authorityFile.map { " --ca-file \(ShellWord.quote($0))" } ?? ""
            context.console.out(
                "use: --api-base '\(server.scheme)://127.0.0.1:\(port)/{space}/api/relay/rest'\(trust)   (Ctrl-C stops)"
            )
        }
        let seen = simulator.statistics
        let protocols = seen.protocols.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(
            separator: ", ")
        context.console.err(
            "fleet: simulator stopped after \(seen.total) requests (\(protocols.isEmpty ? "none" : protocols)) on \(seen.connections) connection\(seen.connections == 1 ? "" : "s"); \(simulator.throttled) answered 429."
        )
        return .success
    }
}
