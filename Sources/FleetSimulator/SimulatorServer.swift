import FleetCore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOCore

/// Puts a `SignalWireSimulator` on HTTP with Hummingbird, on 127.0.0.1: plain HTTP/1.1, or HTTPS
/// with HTTP/2 and HTTP/1.1 offered by ALPN (or HTTP/1.1 only). It counts the connections it
/// accepts (with TLS, one handshake each) and which protocol served each request.
/// Routes: `/{space}/api/relay/rest/sip_profile`, and `/api/relay/rest/sip_profile` with the
/// space taken from the first label of the Host header (`acme.signalwire.com` → `acme`).
public struct SimulatorServer: Sendable {
    public let simulator: SignalWireSimulator
    public let tls: SimulatorTLS?

    public init(simulator: SignalWireSimulator, tls: SimulatorTLS? = nil) {
        self.simulator = simulator
        self.tls = tls
    }

    /// `https` with TLS, `http` without.
    public var scheme: String { tls == nil ? "http" : "https" }

    /// Serves until the calling task is cancelled; `onReady` gets the bound port.
    public func run(host: String = "127.0.0.1", port: Int = 0, onReady: @escaping @Sendable (Int) async -> Void) async throws {
        try await application(host: host, port: port, onReady: onReady).run()
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully (Hummingbird's ServiceGroup).
    public func runUntilSignalled(host: String = "127.0.0.1", port: Int, onReady: @escaping @Sendable (Int) async -> Void) async throws {
        try await application(host: host, port: port, onReady: onReady).runService()
    }

    private func application(host: String, port: Int, onReady: @escaping @Sendable (Int) async -> Void) throws -> some ApplicationProtocol {
        var logger = Logger(label: "fleet.simulator")
        logger.logLevel = .critical
        return Application(
            responder: Responder(simulator: simulator),
            server: try serverBuilder(),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// The child channel for each connection, wrapped so each connection is counted.
    private func serverBuilder() throws -> HTTPServerBuilder {
        let configuration = try tls?.serverConfiguration()
        let http1Only = tls?.http1Only ?? true
        let simulator = self.simulator
        return HTTPServerBuilder { responder in
            let count: @Sendable () -> Void = { simulator.countConnection() }
            guard let configuration else { return CountingChannel(base: HTTP1Channel(responder: responder), onConnection: count) }
            if http1Only {
                return CountingChannel(base: try TLSChannel(HTTP1Channel(responder: responder), tlsConfiguration: configuration), onConnection: count)
            }
            return CountingChannel(base: try HTTP2UpgradeChannel(tlsConfiguration: configuration, responder: responder), onConnection: count)
        }
    }

    /// Runs the simulator (on `port`, 0 for a free one) for the length of `body`, which gets the
    /// `--api-base` to use.
    public func withRunning<T: Sendable>(port: Int = 0, _ body: @Sendable (_ apiBase: String) async throws -> T) async throws -> T {
        try await LoopbackServer.withRunning({ onReady in try await run(port: port, onReady: onReady) }) { port in
            try await body("\(scheme)://127.0.0.1:\(port)/{space}/api/relay/rest")
        }
    }

    struct Responder: HTTPResponder {
        let simulator: SignalWireSimulator

        func respond(to request: Request, context: ChannelRequestContext) async throws -> Response {
            guard case .profile(let space) = SimulatorRoute(path: request.uri.path, authority: request.head.authority) else {
                return response(.init(status: 404, body: SignalWireSimulator.json(["error": "Not Found"])))
            }
            let body = try await request.body.collect(upTo: TransportLimits.maxBodyBytes)
            // An HTTP/2 stream's channel belongs to its connection, which belongs to the server.
            simulator.countRequest(protocol: context.channel.parent?.parent == nil ? "HTTP/1.1" : "HTTP/2")
            let reply = await simulator.respond(
                method: request.method.rawValue, space: space, authorization: request.headers[.authorization],
                body: Data(body.readableBytesView))
            if reply.drop {
                try? await context.channel.close()
            }
            return response(reply)
        }

        private func response(_ reply: SignalWireSimulator.Reply) -> Response {
            var headers: HTTPFields = [.contentType: "application/json"]
            if let retryAfter = reply.headers["Retry-After"] { headers[.retryAfter] = retryAfter }
            if let allow = reply.headers["Allow"] { headers[.allow] = allow }
            return Response(status: .init(code: reply.status), headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
    }
}

/// A server child channel that reports each connection it sets up.
struct CountingChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let onConnection: @Sendable () -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        onConnection()
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// A request context that keeps the channel, so a handler can close the connection.
public struct ChannelRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Serving on a free port of 127.0.0.1 for the length of a body: the pattern the simulator, the
/// demo and the tests' servers share.
public enum LoopbackServer {
    /// Starts `serve` (which calls its argument with the bound port once listening), runs `body`
    /// with that port, then stops the server.
    public static func withRunning<T: Sendable>(_ serve: @escaping @Sendable (_ onReady: @escaping @Sendable (Int) async -> Void) async throws -> Void,
                                                _ body: @Sendable (Int) async throws -> T) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await serve { port in continuation.yield(port) }
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await group.next()
                throw FleetError.internal("the local server did not start.")
            }
            let result = try await body(port)
            group.cancelAll()
            return result
        }
    }
}
