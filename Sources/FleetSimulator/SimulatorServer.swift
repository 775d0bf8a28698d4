import FleetEngine
import FleetModel
import FleetStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// Puts a `SignalWireSimulator` on HTTP with SwiftNIO, on 127.0.0.1: plain HTTP/1.1, or HTTPS
/// with HTTP/2 and HTTP/1.1 offered by ALPN (or HTTP/1.1 only). It counts the connections it
/// accepts (with TLS, one handshake each) and which protocol served each request.
/// Routes: `/{space}/api/relay/rest/sip_profile`, and `/api/relay/rest/sip_profile` with the
/// space taken from the first label of the Host header (`acme.signalwire.com` → `acme`).
///
/// Each request is answered on its connection's event loop, its latency a timer there: the
/// simulator shares the benchmark's machine with fleet, so it spends as little as it can.
package struct SimulatorServer: Sendable {
    package let simulator: SignalWireSimulator
    package let tls: SimulatorTLS?

    package init(simulator: SignalWireSimulator, tls: SimulatorTLS? = nil) {
        self.simulator = simulator
        self.tls = tls
    }

    /// `https` with TLS, `http` without.
    package var scheme: String { tls == nil ? "http" : "https" }

    /// Serves until the calling task is cancelled; `onReady` gets the bound port.
    package func run(host: String = "127.0.0.1", port: Int = 0, onReady: @escaping @Sendable (Int) async -> Void)
        async throws
    {
        let channel = try await bind(host: host, port: port)
        await onReady(channel.localAddress?.port ?? port)
        try await withTaskCancellationHandler {
            try await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting connections and returns.
    package func runUntilSignalled(
        host: String = "127.0.0.1", port: Int, onReady: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let channel = try await bind(host: host, port: port)
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { channel.close(promise: nil) }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
        }
        await onReady(channel.localAddress?.port ?? port)
        try await channel.closeFuture.get()
    }

    /// Runs the simulator (on `port`, 0 for a free one) for the length of `body`, which gets the
    /// `--api-base` to use.
    package func withRunning<T: Sendable>(port: Int = 0, _ body: @Sendable (_ apiBase: String) async throws -> T)
        async throws -> T
    {
        try await LoopbackServer.withRunning(
            { onReady in try await run(port: port, onReady: onReady) },
            { port in try await body("\(scheme)://127.0.0.1:\(port)/{space}/api/relay/rest") })
    }

    /// The simulator's own event loops, apart from the ones fleet's HTTP client uses when both
    /// run in one process (the demo, the tests): the server is not slowed by the client under test.
    private static let loops = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)

    private func bind(host: String, port: Int) async throws -> any Channel {
        let context = try tls.map { tls in
            var configuration = try tls.serverConfiguration()
            configuration.applicationProtocols = tls.http1Only ? ["http/1.1"] : ["h2", "http/1.1"]
            return try NIOSSLContext(configuration: configuration)
        }
        let simulator = self.simulator
        return try await ServerBootstrap(group: Self.loops)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                simulator.countConnection()
                return channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel, tls: context, simulator: simulator)
                }
            }
            .bind(host: host, port: port).get()
    }

    /// The connection's pipeline: TLS and ALPN when there is a context, then HTTP/1.1 or HTTP/2,
    /// then a `SimulatorHandler` (for HTTP/2, one per stream).
    private static func configure(_ channel: any Channel, tls context: NIOSSLContext?, simulator: SignalWireSimulator)
        throws
    {
        let pipeline = channel.pipeline.syncOperations
        func http1() throws {
            try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
            try pipeline.addHandler(SimulatorHandler(simulator: simulator, protocolName: "HTTP/1.1"))
        }
        guard let context else { return try http1() }
        try pipeline.addHandler(NIOSSLServerHandler(context: context))
        try pipeline.addHandler(
            ApplicationProtocolNegotiationHandler(alpnCompleteHandler: { result in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    switch result {
                    case .negotiated("h2"):
                        _ = try pipeline.configureHTTP2Pipeline(
                            mode: .server, connectionConfiguration: .init(), streamConfiguration: .init(),
                            inboundStreamInitializer: { stream in
                                stream.eventLoop.makeCompletedFuture {
                                    try stream.pipeline.syncOperations.addHandlers([
                                        HTTP2FramePayloadToHTTP1ServerCodec(),
                                        SimulatorHandler(simulator: simulator, protocolName: "HTTP/2"),
                                    ])
                                }
                            })
                    default:
                        try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                        try pipeline.addHandler(SimulatorHandler(simulator: simulator, protocolName: "HTTP/1.1"))
                    }
                }
            }))
    }
}

/// One connection's (or HTTP/2 stream's) requests: the head and body gathered, the answer
/// decided by the simulator at once and written when its latency has passed, on the event loop.
final class SimulatorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let simulator: SignalWireSimulator
    private let protocolName: String
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false

    init(simulator: SignalWireSimulator, protocolName: String) {
        self.simulator = simulator
        self.protocolName = protocolName
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            (self.head, tooLarge) = (head, false)
            body.clear()
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > TransportLimits.maxBodyBytes {
                tooLarge = true
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            answer(head, context: context)
        }
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path =
            head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
            ?? head.uri
        guard !tooLarge,
            case .profile(let space) = SimulatorRoute(path: path, authority: head.headers.first(name: "host"))
        else {
            let reply =
                tooLarge
                ? SignalWireSimulator.Reply(status: 413, body: SignalWireSimulator.json(["error": "Payload Too Large"]))
                : SignalWireSimulator.Reply(status: 404, body: SignalWireSimulator.json(["error": "Not Found"]))
            return write(reply, keepAlive: head.isKeepAlive, context: context)
        }
        simulator.countRequest(protocol: protocolName)
        let received = simulator.receive(
            method: head.method.rawValue, space: space, authorization: head.headers.first(name: "authorization"),
            body: Data(body.readableBytesView))
        let keepAlive = head.isKeepAlive
        let respond = { [simulator] in
            let reply = simulator.complete(received)
            if reply.drop { return context.close(promise: nil) }
            self.write(reply, keepAlive: keepAlive, context: context)
        }
        if received.wait > .zero {
            let loop = context.eventLoop.assumeIsolated()
            loop.scheduleTask(in: .nanoseconds(Int64(received.wait.seconds * 1e9)), respond)
        } else {
            respond()
        }
    }

    private func write(_ reply: SignalWireSimulator.Reply, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(reply.body.count))])
        for (name, value) in reply.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(
                .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: reply.status), headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))), promise: nil)
        guard !keepAlive else { return context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
