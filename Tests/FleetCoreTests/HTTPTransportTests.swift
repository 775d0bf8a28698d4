import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Hummingbird
import Synchronization
import Testing

/// fleet's HTTP transport and the API's classification against a hostile server over real HTTP:
/// nothing a server sends can hang fleet, crash it, falsify its record or leak a token.
@Suite struct HTTPTransportTests {
    static let credentials = Credentials(
        projectID: "11111111-2222-4333-8444-555555555555",
        token: "PTsecret0000000000000000000000000000000000000000001a2b")

    static func get(
        _ behaviour: HostileServer.Behaviour, at endpoint: HostileServer.Endpoint, timeout: Duration = .seconds(5)
    ) async throws -> Result<SignalWireAPI.Answer, RequestFailure> {
        try await HTTPTransportProvider(group: TestLoops.clients).withTransport(
            TransportOptions(concurrency: 2, caFile: endpoint.caFile)
        ) {
            transport in
            await SignalWireAPI(transport: transport, apiBase: try APIBase(endpoint.apiBase), timeout: timeout)
                .getProfile(space: behaviour.rawValue, credentials: credentials)
        }
    }

    /// A stream the server refused, or left unprocessed past its GOAWAY, starts again (on a new
    /// connection when the old one is closing) instead of failing: nothing of it reached the API.
    @Test(.timeLimit(.minutes(1))) func streamsTheServerDidNotProcessStartAgain() async throws {
        let server = ClosingHTTP2Server()
        let results = try await server.run { endpoint in
            try await HTTPTransportProvider(group: TestLoops.clients).withTransport(
                TransportOptions(concurrency: 1, caFile: endpoint.caFile)
            ) { transport in
                let api = SignalWireAPI(
                    transport: transport, apiBase: try APIBase(endpoint.apiBase), timeout: .seconds(5))
                var results: [Result<SignalWireAPI.Answer, RequestFailure>] = []
                for _ in 0..<9 { results.append(await api.getProfile(space: "acme", credentials: Self.credentials)) }
                return results
            }
        }
        #expect(results.compactMap(\.failure).isEmpty, "\(results.compactMap(\.failure))")
        // Each connection answered three streams, refused one and left one: 9 answers on 3 connections.
        #expect(server.seen == .init(connections: 3, answered: 9, refused: 3, unprocessed: 2))
    }

    /// Without a deadline over the body this test never ends, and its time limit fails it.
    @Test(
        .timeLimit(.minutes(1)), arguments: [HostileServer.Behaviour.stall, .endless, .drip],
        HostileServer.Wire.allCases)
    func theDeadlineCoversTheWholeBody(_ behaviour: HostileServer.Behaviour, over wire: HostileServer.Wire) async throws
    {
        try await HostileServer().run(over: wire) { endpoint in
            // When the headers come at once but the body never ends
            let result = try await Self.get(behaviour, at: endpoint, timeout: .milliseconds(500))

            // Then the attempt ends at its deadline as a timeout with no status
            #expect(result.failure?.kind == .timeout)
            #expect(result.failure?.message.hasPrefix("no whole answer from 127.0.0.1:") == true)
            #expect(result.failure?.httpStatus == nil)
        }
    }

    @Test(
        arguments: [
            HostileServer.Behaviour.retryinf, .retryhuge, .retrydigits, .retrynegative, .retrygarbage, .retrydate,
        ], HostileServer.Wire.allCases)
    func anyRetryAfterIsReadSafely(_ behaviour: HostileServer.Behaviour, over wire: HostileServer.Wire) async throws {
        try await HostileServer().run(over: wire) { endpoint in
            let result = try await Self.get(behaviour, at: endpoint)

            #expect(result.failure?.kind == .rateLimited)
            #expect(result.failure?.httpStatus == 429)
            let expected: Duration? =
                switch behaviour {
                case .retrydigits: RetryAfter.cap
                case .retrydate: .zero
                default: nil
                }
            #expect(result.failure?.retryAfter == expected)
        }
    }

    @Test(arguments: HostileServer.Wire.allCases)
    func aValidationDetailNeverCarriesTheTokenInAnyForm(over wire: HostileServer.Wire) async throws {
        try await HostileServer().run(over: wire) { endpoint in
            let result = try await HTTPTransportProvider(group: TestLoops.clients).withTransport(
                TransportOptions(concurrency: 1, caFile: endpoint.caFile)
            ) {
                transport in
                await SignalWireAPI(transport: transport, apiBase: try APIBase(endpoint.apiBase), timeout: .seconds(5))
                    .putProfile(
                        space: "echo", credentials: Self.credentials, profile: SipProfile(defaultEncryption: "required")
                    )
            }

            let message = try #require(result.failure?.message)
            #expect(result.failure?.kind == .validation)
            #expect(!message.contains(Self.credentials.token))
            #expect(!message.contains(Self.credentials.token.prefix(16)))
            #expect(!message.contains(String(Self.credentials.authorization.dropFirst(6).prefix(16))))
            #expect(!message.contains(String(Data(Self.credentials.token.utf8).base64EncodedString().prefix(16))))
            #expect(
                message.hasPrefix(
                    "the header was Basic PT…1a2b; credentials 11111111-2222-4333-8444-555555555555:PT…1a2b are not valid; token=PT…1a2b"
                ))
            #expect(message.count <= 501)
        }
    }

    @Test(arguments: HostileServer.Wire.allCases)
    func aServerErrorWithAHugeBodyIsStillAServerErrorAndIsRetried(over wire: HostileServer.Wire) async throws {
        try await HostileServer().run(over: wire) { endpoint in
            let result = try await Self.get(.bigerror, at: endpoint)

            #expect(result.failure == RequestFailure(kind: .server, httpStatus: 503, message: "HTTP 503: server error"))
        }
    }

    @Test(arguments: [HostileServer.Behaviour.emptyobject, .notobject], HostileServer.Wire.allCases)
    func anAnswerThatIsNotAProfileObjectIsProtocol(_ behaviour: HostileServer.Behaviour, over wire: HostileServer.Wire)
        async throws
    {
        try await HostileServer().run(over: wire) { endpoint in
            let result = try await Self.get(behaviour, at: endpoint)

            if behaviour == .notobject {
                #expect(result.failure?.kind == .protocol)
                #expect(result.failure?.httpStatus == 200)
            } else {
                // `{}` is an object: whether it can be written over is the step's call (it lacks what the template sets)
                #expect(try result.get().fields.isEmpty)
            }
        }
    }

    @Test(arguments: HostileServer.Wire.allCases)
    func aResetConnectionIsOneSentenceNamingTheHost(over wire: HostileServer.Wire) async throws {
        try await HostileServer().run(over: wire) { endpoint in
            let result = try await Self.get(.reset, at: endpoint)

            #expect(result.failure?.kind == .network)
            #expect(result.failure?.httpStatus == nil)
            let message = result.failure?.message ?? ""
            if wire == .http2 {
                // The stream is closed, not the connection: the others on it go on.
                #expect(message.hasPrefix("127.0.0.1:") && message.hasSuffix(" reset the stream without answering"))
            } else {
                #expect(
                    message.hasPrefix("the connection to 127.0.0.1:") && message.hasSuffix(" was reset")
                        || message.hasPrefix("127.0.0.1:")
                            && message.hasSuffix(" closed the connection without answering"),
                    "\(message)")
            }
        }
    }

    @Test(arguments: ["http", "https"]) func aClosedPortIsRefusedInOneSentence(scheme: String) async throws {
        let result = try await Self.get(.stall, at: HostileServer.Endpoint(base: "\(scheme)://127.0.0.1:1"))

        #expect(result.failure == RequestFailure(kind: .network, message: "the connection to 127.0.0.1:1 was refused"))
    }

    @Test(arguments: HostileServer.Wire.allCases)
    func aRedirectIsNotFollowedSoCredentialsStayWithTheSpacesHost(over wire: HostileServer.Wire) async throws {
        // Given a server whose profile answers 302 to another path that counts its visitors
        let visits = Mutex(0)
        let router = Router()
        router.get("/acme/api/relay/rest/sip_profile") { _, _ in
            Response(status: .found, headers: [.location: "/elsewhere"])
        }
        router.get("/elsewhere") { _, _ in
            visits.withLock { $0 += 1 }
            return "{}"
        }
        try await HostileServer.serve(router, over: wire) { endpoint in
            let result = try await HTTPTransportProvider(group: TestLoops.clients).withTransport(
                TransportOptions(concurrency: 1, caFile: endpoint.caFile)
            ) {
                transport in
                await SignalWireAPI(
                    transport: transport, apiBase: try APIBase(endpoint.apiBase),
                    timeout: .seconds(5)
                )
                .getProfile(space: "acme", credentials: Self.credentials)
            }

            // Then it is a protocol failure and the redirect target never saw a request
            #expect(result.failure == RequestFailure(kind: .protocol, httpStatus: 302, message: "unexpected HTTP 302"))
            #expect(visits.withLock { $0 } == 0)
        }
    }

    @Test(arguments: HostileServer.Wire.allCases)
    func aBodyOverOneMebibyteIsRefused(over wire: HostileServer.Wire) async throws {
        let router = Router()
        router.get("/acme/api/relay/rest/sip_profile") { _, _ in
            "{\"domain_identifier\": \"" + String(repeating: "x", count: 1 << 21) + "\"}"
        }
        try await HostileServer.serve(router, over: wire) { endpoint in
            let big = try await HTTPTransportProvider(group: TestLoops.clients).withTransport(
                TransportOptions(concurrency: 1, caFile: endpoint.caFile)
            ) { transport in
                await SignalWireAPI(
                    transport: transport, apiBase: try APIBase(endpoint.apiBase),
                    timeout: .seconds(5)
                )
                .getProfile(space: "acme", credentials: Self.credentials)
            }

            #expect(
                big.failure
                    == RequestFailure(kind: .protocol, httpStatus: 200, message: "HTTP 200 with a body over 1 MiB"))
        }
    }

}

extension Result where Failure == RequestFailure {
    var failure: RequestFailure? {
        if case .failure(let failure) = self { failure } else { nil }
    }
}
