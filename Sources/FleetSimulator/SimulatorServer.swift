import FleetCore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// Puts a `SignalWireSimulator` on HTTP with Hummingbird, on 127.0.0.1.
/// Routes: `/{space}/api/relay/rest/sip_profile`, and `/api/relay/rest/sip_profile` with the
/// space taken from the first label of the Host header (`acme.signalwire.com` → `acme`).
public struct SimulatorServer: Sendable {
    public let simulator: SignalWireSimulator

    public init(simulator: SignalWireSimulator) {
        self.simulator = simulator
    }

    /// Serves until the calling task is cancelled; `onReady` gets the bound port.
    public func run(host: String = "127.0.0.1", port: Int = 0, onReady: @escaping @Sendable (Int) async -> Void) async throws {
        try await application(host: host, port: port, onReady: onReady).run()
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully (Hummingbird's ServiceGroup).
    public func runUntilSignalled(host: String = "127.0.0.1", port: Int, onReady: @escaping @Sendable (Int) async -> Void) async throws {
        try await application(host: host, port: port, onReady: onReady).runService()
    }

    private func application(host: String, port: Int, onReady: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        var logger = Logger(label: "fleet.simulator")
        logger.logLevel = .critical
        return Application(
            responder: Responder(simulator: simulator),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Runs the simulator (on `port`, 0 for a free one) for the length of `body`, which gets the
    /// `--api-base` to use.
    public func withRunning<T: Sendable>(port: Int = 0, _ body: @Sendable (_ apiBase: String) async throws -> T) async throws -> T {
        try await LoopbackServer.withRunning({ onReady in try await run(port: port, onReady: onReady) }) { port in
            try await body("http://127.0.0.1:\(port)/{space}/api/relay/rest")
        }
    }

    struct Responder: HTTPResponder {
        let simulator: SignalWireSimulator

        func respond(to request: Request, context: ChannelRequestContext) async throws -> Response {
            guard case .profile(let space) = SimulatorRoute(path: request.uri.path, authority: request.head.authority) else {
                return response(.init(status: 404, body: SignalWireSimulator.json(["error": "Not Found"])))
            }
            let body = try await request.body.collect(upTo: TransportLimits.maxBodyBytes)
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
