import FleetModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The real transport: HTTP/1.1 on SwiftNIO's own channel handlers, with TLS from NIOSSL, a pool
/// of kept-alive connections per host on the execution's one event loop (at most one per
/// request in flight), the deadline a timer on the loop over the whole exchange, the body read
/// up to 1 MiB, redirects never followed (a 3xx is an answer like any other), and TLS
/// verification always on (`--ca-file` adds a trust root; an IP address is checked against the
/// certificate's IP names). It spends a third less CPU per request than async-http-client
/// (DESIGN.md), which `FLEET_TRANSPORT=async-http-client` still selects, with HTTP/2 by ALPN.
final class HTTP1Transport: Transport, @unchecked Sendable {
    let loop: any EventLoop
    let tls: NIOSSLContext?
    /// Idle connections by `host:port`; touched on the loop only.
    private var idle: [String: [any Channel]] = [:]

    init(loop: any EventLoop, tls: NIOSSLContext?) {
        self.loop = loop
        self.tls = tls
    }

    struct Target {
        var https: Bool
        var host: String
        var port: Int
        var path: String
        var key: String { "\(host):\(port)" }
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

    func send(_ request: TransportRequest, timeout: Duration) async -> Result<TransportResponse, RequestFailure> {
        guard let target = Target(request.url) else {
            return .failure(RequestFailure(kind: .network, message: "cannot read the URL of \(request.host)"))
        }
        let promise = loop.makePromise(of: TransportResponse.self)
        let exchange = Exchange()
        loop.execute { self.start(request, target, timeout: timeout, promise: promise, exchange: exchange) }
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

    private func start(
        _ request: TransportRequest, _ target: Target, timeout: Duration, promise: EventLoopPromise<TransportResponse>,
        exchange: Exchange
    ) {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.seconds * 1e9))
        // A kept connection the server closed since is dropped, not sent on.
        while let channel = idle[target.key]?.popLast() {
            guard channel.isActive else { continue }
            self.exchange(
                on: channel, request, target, deadline: deadline, timeout: timeout, promise: promise, exchange)
            return
        }
        let tls = target.https ? self.tls : nil
        ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(Int64(timeout.seconds * 1e9)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: target.isAddress ? nil : target.host))
                    }
                    // Every header fleet sends is a constant, the host of a checked API base,
                    // or Basic credentials in base64: none can hold a line break, so NIO's
                    // check of each header (3% of a run's CPU) is left out.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(enableOutboundHeaderValidation: false)
                    try channel.pipeline.syncOperations.addHandler(HTTP1ResponseHandler())
                }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.exchange(
                        on: channel, request, target, deadline: deadline, timeout: timeout, promise: promise, exchange)
                case .failure(let error):
                    promise.fail(TransportErrors.classify(error, host: request.host, timeout: timeout))
                }
            }
    }

    private func exchange(
        on channel: any Channel, _ request: TransportRequest, _ target: Target, deadline: NIODeadline,
        timeout: Duration, promise: EventLoopPromise<TransportResponse>, _ exchange: Exchange
    ) {
        guard let handler = try? channel.pipeline.syncOperations.handler(type: HTTP1ResponseHandler.self) else {
            promise.fail(RequestFailure(kind: .network, message: "the connection to \(request.host) was not set up"))
            channel.close(promise: nil)
            return
        }
        guard !exchange.cancelled else {
            promise.fail(CancellationError())
            idle[target.key, default: []].append(channel)
            return
        }
        (exchange.handler, exchange.channel) = (handler, channel)
        let timer = loop.scheduleTask(deadline: deadline) {
            handler.fail(RequestFailure.timedOut(host: request.host, after: timeout))
            channel.close(promise: nil)
        }
        handler.begin(promise, host: request.host) { [self] result in
            timer.cancel()
            (exchange.handler, exchange.channel) = (nil, nil)
            if case .success = result, handler.keepAlive, channel.isActive {
                idle[target.key, default: []].append(channel)
            } else {
                channel.close(promise: nil)
            }
        }
        Self.write(request, to: target, on: channel)
    }

    /// The request's head, body and end, flushed once.
    private static func write(_ request: TransportRequest, to target: Target, on channel: any Channel) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.port == (target.https ? 443 : 80) ? target.host : target.key)
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
        for channel in idle.values.joined() { channel.close(promise: nil) }
        idle = [:]
    }

    /// One request's hold on its connection while it is under way, for a cancelled task (a second
    /// Ctrl-C) to end it at once. Touched on the loop only.
    final class Exchange: @unchecked Sendable {
        var handler: HTTP1ResponseHandler?
        var channel: (any Channel)?
        private(set) var cancelled = false

        func cancel() {
            cancelled = true
            handler?.fail(CancellationError())
            channel?.close(promise: nil)
        }
    }
}
