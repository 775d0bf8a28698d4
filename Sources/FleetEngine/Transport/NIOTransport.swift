import FleetModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// The real transport, on SwiftNIO's own channel handlers with TLS from NIOSSL: HTTP/2 when a
/// server chooses it by ALPN (every exchange with that host a stream of one connection, see
/// `HTTP2StreamsHandler`), else HTTP/1.1 on a pool of kept-alive connections per host (at most
/// one per request in flight). Everything runs on the execution's one event loop; the deadline
/// is a timer on it over the whole exchange, the body is read up to 1 MiB, redirects are never
/// followed (a 3xx is an answer like any other), and TLS verification is always on (`--ca-file`
/// adds a trust root; an IP address is checked against the certificate's IP names). It spends
/// far less CPU per request than async-http-client (DESIGN.md), which
/// `FLEET_TRANSPORT=async-http-client` still selects.
final class NIOTransport: Transport, @unchecked Sendable {
    let loop: any EventLoop
    let tls: NIOSSLContext?
    /// Whether TLS connections offer HTTP/2 (not with `http1Only`).
    let offersHTTP2: Bool
    /// A connection idle this long is closed, not sent on (`TransportLimits.maxIdle`).
    let maxIdle: TimeAmount
    // Touched on the loop only, by `host:port`:
    /// Kept-alive HTTP/1.1 connections, idle, and since when.
    private var idle: [String: [(channel: any Channel, since: NIODeadline)]] = [:]
    /// The HTTP/2 connection of each host that chose it.
    private var shared: [String: HTTP2StreamsHandler] = [:]
    /// Exchanges waiting for a host's first TLS connection to tell which protocol the host speaks.
    private var waiting: [String: [(Result<Void, any Error>) -> Void]] = [:]
    /// Hosts that chose HTTP/1.1 over TLS: each exchange may open its own connection.
    private var speaksHTTP1: Set<String> = []

    init(loop: any EventLoop, tls: NIOSSLContext?, offersHTTP2: Bool, maxIdle: TimeAmount) {
        self.loop = loop
        self.tls = tls
        self.offersHTTP2 = offersHTTP2
        self.maxIdle = maxIdle
    }

    struct Target {
        var https: Bool
        var host: String
        var port: Int
        var path: String
        var key: String { "\(host):\(port)" }
        /// What the Host header (HTTP/2: `:authority`) names: the port only when it is not the scheme's.
        var authority: String { port == (https ? 443 : 80) ? host : key }
        /// An IP address is no server name (SNI): NIOSSL checks it against the certificate's IP names.
        var isAddress: Bool { host.allSatisfy { $0.isNumber || $0 == "." } || host.contains(":") }

        init?(_ url: String) {
            let https = url.hasPrefix("https://")
            guard https || url.hasPrefix("http://") else { return nil }
            let rest = url.dropFirst(https ? 8 : 7)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let authority = rest[..<slash]
            path = slash == rest.endIndex ? "/" : String(rest[slash...])
            if let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) {
                (host, self.port) = (String(authority[..<colon]), port)
            } else {
                (host, port) = (String(authority), https ? 443 : 80)
            }
            self.https = https
        }
    }

    /// One exchange under way, as it passes from the pool to a connection.
    struct Attempt {
        var request: TransportRequest
        var target: Target
        var deadline: NIODeadline
        var timeout: Duration
        var promise: EventLoopPromise<TransportResponse>
        var exchange: Exchange
        /// Times it started again because the server took none of it (HTTP/2).
        var restarts = 0

        func fail(_ error: any Error) {
            promise.fail(
                error is RequestFailure ? error : TransportErrors.classify(error, host: request.host, timeout: timeout))
        }
    }

    func send(_ request: TransportRequest, timeout: Duration) async -> Result<TransportResponse, RequestFailure> {
        guard let target = Target(request.url) else {
            return .failure(RequestFailure(kind: .network, message: "cannot read the URL of \(request.host)"))
        }
        let promise = loop.makePromise(of: TransportResponse.self)
        let exchange = Exchange()
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.seconds * 1e9))
        let attempt = Attempt(
            request: request, target: target, deadline: deadline, timeout: timeout, promise: promise, exchange: exchange
        )
        // The execution's tasks run on the loop (`EventLoopTaskExecutor`): the exchange starts
        // at once rather than behind everything else the loop has queued.
        if loop.inEventLoop { start(attempt) } else { loop.execute { self.start(attempt) } }
        do {
            return .success(
                try await withTaskCancellationHandler {
                    try await promise.futureResult.get()
                } onCancel: { [loop] in
                    loop.execute { exchange.cancel() }
                })
        } catch let failure as RequestFailure {
            return .failure(failure)
        } catch {
            return .failure(TransportErrors.classify(error, host: request.host, timeout: timeout))
        }
    }

    /// Takes the host's HTTP/2 connection, or a kept HTTP/1.1 one, or opens one; while a host's
    /// first TLS connection is being negotiated, the others wait for it instead of opening more.
    private func start(_ attempt: Attempt) {
        let key = attempt.target.key
        let now = NIODeadline.now()
        if let connection = shared[key] {
            guard connection.usable, !connection.idle(for: maxIdle, at: now) else {
                connection.retire()
                shared[key] = nil
                return start(attempt)
            }
            return begin(attempt, on: connection)
        }
        // A kept connection the server closed since, or idle for `maxIdle`, is dropped, not sent on.
        while let kept = idle[key]?.popLast() {
            guard kept.channel.isActive, now - kept.since < maxIdle else {
                kept.channel.close(promise: nil)
                continue
            }
            return exchange(on: kept.channel, attempt)
        }
        if attempt.target.https && offersHTTP2 && !speaksHTTP1.contains(key) {
            guard waiting[key] == nil else {
                waiting[key]?.append { result in
                    switch result {
                    case .success: self.start(attempt)
                    case .failure(let error): attempt.fail(error)
                    }
                }
                return
            }
            waiting[key] = []
        }
        connect(attempt)
    }

    private func connect(_ attempt: Attempt) {
        let target = attempt.target
        let negotiation = target.https ? tls.map { tls in (tls, negotiationHandler(attempt)) } : nil
        ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(Int64(attempt.timeout.seconds * 1e9)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    guard let (tls, handler) = negotiation else { return try Self.addHTTP1(pipeline) }
                    try pipeline.addHandler(
                        try NIOSSLClientHandler(context: tls, serverHostname: target.isAddress ? nil : target.host))
                    try pipeline.addHandler(handler)
                }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    if negotiation == nil { self.exchange(on: channel, attempt) }
                case .failure(let error):
                    if let (_, handler) = negotiation { handler.fail(error) } else { attempt.fail(error) }
                }
            }
    }

    /// Sets up the protocol the server chose, and goes on with the exchange and those waiting.
    private func negotiationHandler(_ attempt: Attempt) -> ProtocolNegotiationHandler {
        let key = attempt.target.key
        let late = RequestFailure.timedOut(host: attempt.request.host, after: attempt.timeout)
        return ProtocolNegotiationHandler(deadline: attempt.deadline, late: late) { pipeline, http2 in
            if http2 {
                // NIO's checks of header blocks are off both ways: fleet sends constant headers, a
                // checked host and base64, and reads only `:status` and `retry-after` (−4% CPU).
                try pipeline.addHandler(
                    NIOHTTP2Handler(
                        mode: .client, initialSettings: HTTP2StreamsHandler.settings, headerBlockValidation: .disabled,
                        contentLengthValidation: .disabled))
                try pipeline.addHandler(HTTP2StreamsHandler())
            } else {
                try Self.addHTTP1(pipeline)
            }
        } then: { [self] result in
            let waiters = waiting.removeValue(forKey: key) ?? []
            switch result {
            case .success(let channel):
                if let connection = try? channel.pipeline.syncOperations.handler(type: HTTP2StreamsHandler.self) {
                    shared[key] = connection
                    begin(attempt, on: connection)
                } else {
                    speaksHTTP1.insert(key)
                    exchange(on: channel, attempt)
                }
                for waiter in waiters { waiter(.success(())) }
            case .failure(let error):
                attempt.fail(error)
                for waiter in waiters { waiter(.failure(error)) }
            }
        }
    }

    private static func addHTTP1(_ pipeline: ChannelPipeline.SynchronousOperations) throws {
        // Every header fleet sends is a constant, the host of a checked API base, or Basic
        // credentials in base64: none can hold a line break, so NIO's check of each header (3% of
        // a run's CPU) is left out.
        try pipeline.addHTTPClientHandlers(enableOutboundHeaderValidation: false)
        try pipeline.addHandler(HTTP1ResponseHandler())
    }

    private func begin(_ attempt: Attempt, on connection: HTTP2StreamsHandler) {
        guard !attempt.exchange.cancelled else { return attempt.promise.fail(CancellationError()) }
        let target = attempt.target
        connection.begin(
            attempt.request, authority: target.authority, path: target.path, scheme: target.https ? "https" : "http",
            deadline: attempt.deadline, timeout: attempt.timeout, promise: attempt.promise, exchange: attempt.exchange
        ) { [self] failure in
            // The server took none of it (a connection it is closing): on another connection, or
            // this one if it still takes streams, a few times at most and within the deadline.
            guard attempt.restarts < 3, NIODeadline.now() < attempt.deadline else { return attempt.fail(failure) }
            var again = attempt
            again.restarts += 1
            start(again)
        }
    }

    private func exchange(on channel: any Channel, _ attempt: Attempt) {
        let (request, promise, exchange) = (attempt.request, attempt.promise, attempt.exchange)
        guard let handler = try? channel.pipeline.syncOperations.handler(type: HTTP1ResponseHandler.self) else {
            promise.fail(RequestFailure(kind: .network, message: "the connection to \(request.host) was not set up"))
            channel.close(promise: nil)
            return
        }
        guard !exchange.cancelled else {
            promise.fail(CancellationError())
            idle[attempt.target.key, default: []].append((channel, .now()))
            return
        }
        (exchange.handler, exchange.channel) = (handler, channel)
        let timer = loop.scheduleTask(deadline: attempt.deadline) {
            handler.fail(RequestFailure.timedOut(host: request.host, after: attempt.timeout))
            channel.close(promise: nil)
        }
        handler.begin(promise, host: request.host) { [self] result in
            timer.cancel()
            (exchange.handler, exchange.channel) = (nil, nil)
            if case .success = result, handler.keepAlive, channel.isActive {
                idle[attempt.target.key, default: []].append((channel, .now()))
            } else {
                channel.close(promise: nil)
            }
        }
        Self.write(request, to: attempt.target, on: channel)
    }

    /// The request's head, body and end, flushed once.
    private static func write(_ request: TransportRequest, to target: Target, on channel: any Channel) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.authority)
        headers.add(name: "Authorization", value: request.authorization)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "fleet")
        if let body = request.body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: "\(body.count)")
        }
        let method: HTTPMethod = request.method == .get ? .GET : .PUT
        channel.write(
            HTTPClientRequestPart.head(
                HTTPRequestHead(version: .http1_1, method: method, uri: target.path, headers: headers)), promise: nil)
        if let body = request.body {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    func close() {
        for kept in idle.values.joined() { kept.channel.close(promise: nil) }
        for connection in shared.values { connection.close() }
        (idle, shared) = ([:], [:])
    }

    /// One request's hold on its connection while it is under way, for a cancelled task (a second
    /// Ctrl-C) to end it at once. Touched on the loop only.
    final class Exchange: @unchecked Sendable {
        var handler: HTTP1ResponseHandler?
        var channel: (any Channel)?
        var stream: (HTTP2StreamsHandler, HTTP2StreamID)?
        private(set) var cancelled = false

        func cancel() {
            cancelled = true
            handler?.fail(CancellationError())
            channel?.close(promise: nil)
            if let (connection, id) = stream { connection.end(id, .failure(CancellationError()), reset: true) }
        }
    }
}
