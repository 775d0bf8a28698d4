import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A server that does what SignalWire never should, to prove nothing a server does can hang
/// fleet, crash it, falsify its record or leak a token. The behaviour is chosen by the space
/// name in the path (`/stall/api/relay/rest/sip_profile`), so one server serves every case and
/// fleet's own URL building picks the case.
package final class HostileServer: Sendable {
    package enum Behaviour: String, CaseIterable, Sendable {
        /// Headers, then the body never comes.
        case stall
        /// A chunked body that never ends.
        case endless
        /// One byte of body every 200 ms.
        case drip
        /// 429 with a Retry-After fleet must not trust: the header value is in `retryAfterValues`.
        case retryinf, retryhuge, retrydigits, retrynegative, retrygarbage, retrydate
        /// 422 whose detail echoes the credentials: plain, as the Basic header, as base64 of id:token,
        /// and long enough that a cut before scrubbing would keep a piece of the token.
        case echo
        /// 503 with a body over 1 MiB.
        case bigerror
        /// 200 with `{}`, with `[]`, and with a profile lacking default_codecs.
        case emptyobject, notobject, nocodecs
        /// PUT answered 200 rather than 201.
        case put200
        /// The connection closed before any answer.
        case reset
    }

    package static let retryAfterValues: [Behaviour: String] = [
        .retryinf: "inf", .retryhuge: "1e20", .retrydigits: "99999999999999999999", .retrynegative: "-5",
        .retrygarbage: "soon",
        .retrydate: "Wed, 21 Oct 2015 07:28:00 GMT",
    ]

    private let requests = Mutex<(counts: [String: Int], total: Int, waiters: [(Int, @Sendable () -> Void)])>(
        ([:], 0, []))

    package init() {}

    /// Requests each behaviour got.
    package func count(_ behaviour: Behaviour) -> Int { requests.withLock { $0.counts[behaviour.rawValue] ?? 0 } }

    /// Returns once the server has received `count` requests in all.
    /// `then` runs as the `count`th request arrives, on the server's thread (not when this task
    /// gets to run again).
    package func waitForRequests(_ count: Int, then action: @escaping @Sendable () -> Void = {}) async {
        await withCheckedContinuation { continuation in
            let wake: @Sendable () -> Void = {
                action()
                continuation.resume()
            }
            let reached = requests.withLock { state -> Bool in
                if state.total >= count { return true }
                state.waiters.append((count, wake))
                return false
            }
            if reached { wake() }
        }
    }

    /// How a test server is reached: plain HTTP/1.1, or HTTPS where HTTP/2 is offered first (its
    /// certificate from a new authority, whose file the client is to trust).
    package enum Wire: String, CaseIterable, Sendable {
        case http1, http2
    }

    /// Where a test server listens: its base URL and the authority file to trust, if any.
    package struct Endpoint: Sendable {
        package var base: String
        package var caFile: String?
        package var apiBase: String { base + "/{space}/api/relay/rest" }

        package init(base: String, caFile: String? = nil) {
            self.base = base
            self.caFile = caFile
        }
    }

    /// Serves on a free port of 127.0.0.1 for the length of `body`, which gets the --api-base.
    package func run<T: Sendable>(_ body: @Sendable (_ apiBase: String) async throws -> T) async throws -> T {
        try await run(over: .http1) { try await body($0.apiBase) }
    }

    /// Serves over `wire` on a free port of 127.0.0.1 for the length of `body`.
    package func run<T: Sendable>(over wire: Wire, _ body: @Sendable (Endpoint) async throws -> T) async throws -> T {
        let router = Router(context: ChannelRequestContext.self)
        router.on("/:space/api/relay/rest/sip_profile", method: .get) { request, context in
            try await self.answer(request, context)
        }
        router.on("/:space/api/relay/rest/sip_profile", method: .put) { request, context in
            try await self.answer(request, context)
        }
        return try await Self.serve(router, over: wire, body)
    }

    /// Serves `router` on a free port of 127.0.0.1, quietly, for the length of `body`.
    package static func serve<Context: RequestContext, T: Sendable>(
        _ router: Router<Context>, _ body: @Sendable (Int) async throws -> T
    ) async throws -> T
    where Context.Source == ApplicationRequestContextSource {
        try await serve(router, over: .http1) { endpoint in
            try await body(Int(endpoint.base.split(separator: ":").last ?? "") ?? 0)
        }
    }

    /// Serves `router` over `wire` on a free port of 127.0.0.1, quietly, for the length of `body`.
    package static func serve<Context: RequestContext, T: Sendable>(
        _ router: Router<Context>, over wire: Wire, _ body: @Sendable (Endpoint) async throws -> T
    ) async throws -> T
    where Context.Source == ApplicationRequestContextSource {
        var quiet = Logger(label: "test-server")
        quiet.logLevel = .critical
        let logger = quiet
        let responder = router.buildResponder()
        var server = HTTPServerBuilder.http1()
        var caFile: String?
        if wire == .http2 {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID()).pem").path
            server = try .http2Upgrade(
                tlsConfiguration: try SimulatorTLS.generated(authorityFile: file).serverConfiguration())
            caFile = file
        }
        defer { if let caFile { try? FileManager.default.removeItem(atPath: caFile) } }
        let scheme = wire == .http2 ? "https" : "http"
        return try await LoopbackServer.withRunning(
            { [server] onReady in
                // The handlers' tasks too run on the server's loop, apart from the cooperative pool.
                try await withTaskExecutorPreference(EventLoopTaskExecutor(TestLoops.servers.next())) {
                    try await Application(
                        responder: responder, server: server,
                        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                        onServerRunning: { await onReady($0.localAddress?.port ?? 0) },
                        eventLoopGroupProvider: .shared(TestLoops.servers), logger: logger
                    ).run()
                }
            }, { [caFile] port in try await body(Endpoint(base: "\(scheme)://127.0.0.1:\(port)", caFile: caFile)) })
    }

    /// Takes connections on a free port of 127.0.0.1 and never sends a byte (a TLS handshake
    /// never ends), for the length of `body`, which gets the port.
    package static func silent<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let channel = try await ServerBootstrap(group: TestLoops.servers)
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            let result = try await body(channel.localAddress?.port ?? 0)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private func answer(_ request: Request, _ context: ChannelRequestContext) async throws -> Response {
        let name = context.parameters.get("space") ?? ""
        let reached = requests.withLock { state -> [@Sendable () -> Void] in
            state.counts[name, default: 0] += 1
            state.total += 1
            let total = state.total
            defer { state.waiters.removeAll { $0.0 <= total } }
            return state.waiters.filter { $0.0 <= total }.map(\.1)
        }
        for waiter in reached { waiter() }
        guard let behaviour = Behaviour(rawValue: name) else { return Response(status: .notFound) }
        let authorization = request.headers[.authorization] ?? ""
        switch behaviour {
        case .stall:
            return Response(
                status: .ok, headers: [.contentLength: "500"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "{"))
                    try await Task.sleep(for: .seconds(3600))
                })
        case .endless:
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    while true {
                        try await writer.write(ByteBuffer(string: String(repeating: " ", count: 100)))
                        try await Task.sleep(for: .milliseconds(10))
                    }
                })
        case .drip:
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    while true {
                        try await writer.write(ByteBuffer(string: " "))
                        try await Task.sleep(for: .milliseconds(200))
                    }
                })
        case .retryinf, .retryhuge, .retrydigits, .retrynegative, .retrygarbage, .retrydate:
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[.retryAfter] = Self.retryAfterValues[behaviour]
            return Response(
                status: .tooManyRequests, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: #"{"errors":[]}"#)))
        case .echo:
            return json(.unprocessableContent, Self.echo(authorization))
        case .bigerror:
            return json(.serviceUnavailable, String(repeating: "x", count: (1 << 20) + 10))
        case .emptyobject:
            return json(.ok, "{}")
        case .notobject:
            return json(.ok, "[]")
        case .nocodecs:
            return json(
                .ok,
                #"{"domain_identifier": "x", "default_ciphers": [], "default_encryption": "optional", "default_send_as": null}"#
            )
        case .put200:
            let body =
                request.method == .put
                ? try await request.body.collect(upTo: 1 << 20)
                : ByteBuffer(
                    string: SipProfile(
                        domainIdentifier: "x", defaultCodecs: ["PCMU"], defaultCiphers: ["AES_CM_128_HMAC_SHA1_80"],
                        defaultEncryption: "optional"
                    ).jsonString())
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        case .reset:
            try? await context.channel.close()
            return Response(status: .ok)
        }
    }

    private func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A 422 body whose details carry the credentials in every form, the last one after 480
    /// characters of padding so that a cut at 500 would land inside it.
    static func echo(_ authorization: String) -> String {
        let basic = authorization.dropFirst("Basic ".count)
        let decoded = Data(base64Encoded: String(basic)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let token = decoded.split(separator: ":", maxSplits: 1).last.map(String.init) ?? ""
        let details = [
            "the header was \(authorization)",
            "credentials \(decoded) are not valid",
            "token=\(token)",
            "encoded \(Data(token.utf8).base64EncodedString()) and url-safe \(Data(("x" + token).utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-"))",
            String(repeating: "p", count: 480) + " token " + token,
        ]
        let items = details.map { #"{"detail": "\#($0)", "status": "422", "title": "Invalid", "code": "invalid"}"# }
        return #"{"errors": ["# + items.joined(separator: ",") + "]}"
    }
}

/// Event loops of the transport tests' own, one for the servers and one for the clients. In-process
/// fleet runs of other tests keep NIO's shared loops busy for seconds at a time (an execution's
/// tasks run on its loop): a server or client sharing those loops would answer late, and a
/// test's deadline would fire before a reply it is waiting for.
package enum TestLoops {
    package static let servers = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    package static let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
}

/// A request context that keeps the channel, so a handler can close the connection.
package struct ChannelRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
