import AsyncHTTPClient
import FleetCore
import Foundation
import Hummingbird
import Synchronization
import Testing

/// What the client does with answers the simulator never gives: redirects and huge bodies.
@Suite struct SignalWireClientTests {
    /// Serves `router` on a free port of 127.0.0.1 for the length of `body`.
    func withServer<T: Sendable>(_ router: Router<BasicRequestContext>, _ body: @Sendable (Int) async throws -> T) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await application.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let result = try await body(port)
            group.cancelAll()
            return result
        }
    }

    /// Runs `request` with fleet's client pointed at the test server on `port`.
    func withClient<T: Sendable>(port: Int, _ request: @Sendable (SignalWireClient) async -> T) async throws -> T {
        try await HTTPClient.withFleetClient(concurrency: 1) { http in
            await request(SignalWireClient(http: http, apiBase: try APIBase("http://127.0.0.1:\(port)/{space}/api/relay/rest"), timeout: .seconds(5)))
        }
    }

    let credentials = Credentials(projectID: "11111111-2222-4333-8444-555555555555", token: "PTsecret0000000000000000000000000000000000000000001a2b")

    @Test func aRedirectIsNotFollowedSoCredentialsStayWithTheSpacesHost() async throws {
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
        try await withServer(router) { port in
            let result = try await withClient(port: port) { await $0.getProfile(space: "acme", credentials: credentials) }

            // Then it is a protocol failure and the redirect target never saw a request
            guard case .failure(let failure) = result else { Issue.record("a redirect was followed"); return }
            #expect(failure == RequestFailure(kind: .protocol, httpStatus: 302, message: "unexpected HTTP 302"))
            #expect(visits.withLock { $0 } == 0)
        }
    }

    @Test func aBodyOverOneMebibyteIsRefused() async throws {
        let router = Router()
        router.get("/acme/api/relay/rest/sip_profile") { _, _ in
            "{\"domain_identifier\": \"" + String(repeating: "x", count: 1 << 21) + "\"}"
        }
        try await withServer(router) { port in
            let result = try await withClient(port: port) { await $0.getProfile(space: "acme", credentials: credentials) }

            guard case .failure(let failure) = result else { Issue.record("a 2 MiB body was read"); return }
            #expect(failure == RequestFailure(kind: .protocol, httpStatus: 200, message: "HTTP 200 with a body over 1 MiB"))
        }
    }

    @Test func aValidationDetailNeverCarriesTheToken() async throws {
        // Given an API that echoes the token in its 422 detail
        let router = Router()
        let token = credentials.token
        router.put("/acme/api/relay/rest/sip_profile") { _, _ in
            Response(status: .unprocessableContent, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"errors":[{"detail":"token \#(token) lacks the Voice scope","status":"422","title":"t","code":"c"}]}"#)))
        }
        try await withServer(router) { port in
            let result = try await withClient(port: port) {
                await $0.putProfile(space: "acme", credentials: credentials, profile: SipProfile(defaultEncryption: "required"))
            }

            guard case .failure(let failure) = result else { Issue.record("422 accepted"); return }
            #expect(failure.kind == .validation)
            #expect(failure.message == "token PT…1a2b lacks the Voice scope")
        }
    }
}
