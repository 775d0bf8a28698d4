import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// The production path, rehearsed: HTTPS with certificate checks, HTTP/2 by ALPN (HTTP/1.1 when
/// the server offers only that), and what a certificate fleet cannot trust does to a run.
@Suite struct TLSTests {
    @Test(.workspace(TestProject.make(40, spaces: 4)))
    func aRolloutOverTLSWithTheAuthorityTrustedSucceedsOnOneHTTP2Connection() async throws {
        let setup = Workspace.current
        try await setup.serving { apiBase, authority in
            #expect(apiBase.hasPrefix("https://127.0.0.1:"))

            let result = await InProcessFleet().run([
                "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase, "--ca-file", authority,
                "--concurrency", "16", "--rate", "10000", "--quiet",
            ])

            #expect(result.status == 0, "\(result.output)")
            #expect(
                setup.fixture.projects.allSatisfy {
                    setup.simulator.profile(space: $0.space, projectID: $0.projectID) == $0.secureProfile
                })
            #expect(setup.simulator.statistics.protocols == ["HTTP/2": 80])
            #expect(
                setup.simulator.statistics.connections == 1,
                "the first exchange's connection negotiated HTTP/2; the 15 others in flight waited for it")
        }
    }

    @Test(
        .workspace(
            TestProject.make(300, spaces: 60),
            simulator: {
                var slow = SimulatorConfiguration()
                slow.latency = .milliseconds(100)
                return slow
            }()))
    func moreRequestsThanTheServerTakesStreamsWaitOnTheConnectionAndAllSucceed() async throws {
        let setup = Workspace.current
        try await setup.serving { apiBase, authority in
            // The simulator takes at most 100 streams at once on a connection (SwiftNIO's default);
            // 60 spaces of two requests each start at once, and more as the rate grows.
            let result = await InProcessFleet().run([
                "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase, "--ca-file", authority,
                "--concurrency", "160", "--rate", "100000", "--quiet",
            ])

            #expect(result.status == 0, "\(result.output)")
            let succeeded: Int? = try setup.fixture.database.scalar(
                "SELECT count(*) FROM tasks WHERE state = 'succeeded'")
            #expect(succeeded == 300)
            #expect(setup.simulator.statistics.protocols == ["HTTP/2": 600])
            #expect(setup.simulator.statistics.connections == 1)
            #expect(setup.simulator.statistics.peakInFlight == 100, "the other 60 waited on the connection")
        }
    }

    /// A kept connection idle for the transport's limit is closed, not sent on (a server or a
    /// middlebox may have dropped it without a word): three reads one after another share one
    /// connection, and with a limit of zero each opens its own, over HTTP/2 and over HTTP/1.1.
    @Test(.workspace(TestProject.make(1, spaces: 1))) func aConnectionIdleForTheLimitIsNotSentOnAgain() async throws {
        let setup = Workspace.current
        for http1Only in [false, true] {
            let (kept, fresh) = try await setup.serving(http1Only: http1Only) { apiBase, authority in
                (
                    try await Self.threeReads(in: setup, apiBase, authority, maxIdle: TransportLimits.maxIdle),
                    try await Self.threeReads(in: setup, apiBase, authority, maxIdle: .zero)
                )
            }
            #expect(kept.statuses == [200, 200, 200] && fresh.statuses == [200, 200, 200], "http1Only \(http1Only)")
            #expect(kept.connections == 1, "http1Only \(http1Only)")
            #expect(fresh.connections == 3, "http1Only \(http1Only)")
        }
    }

    /// The statuses of three reads of the workspace's first project, one after another on one
    /// transport, and how many connections the simulator took for them.
    static func threeReads(in setup: Workspace, _ apiBase: String, _ authority: String, maxIdle: Duration)
        async throws -> (statuses: [Int?], connections: Int)
    {
        let project = setup.fixture.projects[0]
        let credentials = Credentials(projectID: project.projectID, token: project.token)
        let before = setup.simulator.statistics.connections
        let options = TransportOptions(concurrency: 1, caFile: authority, maxIdle: maxIdle)
        let statuses = try await HTTPTransportProvider(group: TestLoops.clients).withTransport(options) { transport in
            let api = SignalWireAPI(transport: transport, apiBase: try APIBase(apiBase), timeout: .seconds(5))
            var statuses: [Int?] = []
            for _ in 0..<3 {
                statuses.append(try? await api.getProfile(space: project.space, credentials: credentials).get().status)
            }
            return statuses
        }
        return (statuses, setup.simulator.statistics.connections - before)
    }

    @Test(.workspace(TestProject.make(40, spaces: 4))) func overHTTP1OnlyTheConnectionsStayWithinThePool() async throws
    {
        let setup = Workspace.current
        try await setup.serving(http1Only: true) { apiBase, authority in
            let result = await InProcessFleet().run([
                "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase, "--ca-file", authority,
                "--concurrency", "6", "--rate", "10000", "--quiet",
            ])

            #expect(result.status == 0, "\(result.output)")
            #expect(setup.simulator.statistics.protocols == ["HTTP/1.1": 80])
            #expect(setup.simulator.statistics.connections >= 1 && setup.simulator.statistics.connections <= 6)
        }
    }

    @Test(.workspace(TestProject.make(8, spaces: 4)))
    func withoutTheAuthorityEveryProjectTriedFailsAsTLSOnceAndTheRunHalts() async throws {
        let setup = Workspace.current
        try await setup.serving { apiBase, _ in
            let result = await InProcessFleet().run([
                "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase, "--concurrency", "16",
                "--quiet",
            ])

            let host = String(apiBase.dropFirst("https://".count).prefix { $0 != "/" })
            #expect(result.status == 1)
            #expect(try setup.fixture.database.scalar("SELECT state FROM runs") == "halted")
            #expect(
                result.stderr.contains(
                    "fleet: run 1 halted by the circuit breaker: the certificate of \(host) is not trusted (an unknown authority, or expired); pass --ca-file if you use a private CA;"
                ),
                "\(result.stderr)")
            let tried: [Int] = try setup.fixture.database.column("SELECT attempts FROM tasks WHERE state = 'failed'")
            #expect(!tried.isEmpty && tried.allSatisfy { $0 == 1 })
            #expect(
                try setup.fixture.database.scalar(
                    "SELECT count(*) FROM tasks WHERE state = 'failed' AND error_kind <> 'tls'") == 0)
            #expect(try setup.fixture.database.scalar("SELECT count(*) FROM tasks WHERE state = 'succeeded'") == 0)
            #expect(setup.simulator.statistics.total == 0)
        }
    }

    @Test(.workspace(TestProject.make(2, spaces: 4))) func aCertificateForAnotherHostNameIsRefused() async throws {
        let setup = Workspace.current
        try await setup.serving(hosts: ["signalwire.example"]) { apiBase, authority in
            let result = await InProcessFleet().run([
                "rollout", "--yes", setup.template, "--db", setup.db, "--api-base", apiBase, "--ca-file", authority,
                "--quiet",
            ])

            #expect(result.status == 1)
            #expect(result.stdout.contains("is for another host name; check --api-base"), "\(result.stdout)")
            #expect(setup.simulator.statistics.total == 0)
        }
    }

    @Test(.workspace(TestProject.make(2, spaces: 4))) func aCAFileThatIsNotACertificateIsAUsageError() async throws {
        let setup = Workspace.current
        let bogus = try setup.fixture.directory.write("bogus.pem", "not a certificate")

        let result = await InProcessFleet().run([
            "rollout", "--yes", setup.template, "--db", setup.db, "--ca-file", bogus, "--quiet",
        ])

        #expect(result.status == 64)
        #expect(result.stderr.contains("--ca-file \(bogus) holds no PEM certificate"))
    }
}

extension Workspace {
    /// Serves the simulator over TLS (`hosts` in the certificate) for the length of `body`.
    func serving<T: Sendable>(
        hosts: [String] = ["127.0.0.1", "::1", "localhost"], http1Only: Bool = false,
        _ body: @Sendable (_ apiBase: String, _ authority: String) async throws -> T
    ) async throws -> T {
        let authority = fixture.directory.file("authority.pem")
        let tls = try SimulatorTLS.generated(hosts: hosts, authorityFile: authority, http1Only: http1Only)
        return try await SimulatorServer(simulator: simulator, tls: tls).withRunning { apiBase in
            try await body(apiBase, authority)
        }
    }
}
