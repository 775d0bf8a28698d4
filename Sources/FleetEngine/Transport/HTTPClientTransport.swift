import AsyncHTTPClient
import FleetModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The real transport: one async-http-client `HTTPClient` per execution, always shut down.
/// Redirects are never followed (Authorization goes only to the space's own host), bodies are
/// read up to 1 MiB, the deadline covers the whole exchange including the body, and TLS
/// verification is always on (`--ca-file` adds a trust root; nothing switches it off). The pool
/// keeps up to `concurrency` HTTP/1.1 connections per host; HTTP/2, when ALPN offers it, carries
/// every stream to a host on one connection. A connection that cannot be made fails its request
/// at once (no retry inside the pool): fleet's retry policy and circuit breaker decide.
package struct HTTPClientTransport: Transport {
    let client: HTTPClient
    /// The loop the client's connections and the execution's tasks share.
    let loop: any EventLoop

    package func send(_ request: TransportRequest, timeout: Duration) async -> Result<TransportResponse, RequestFailure>
    {
        let outgoing: HTTPClient.Request
        do {
            outgoing = try Self.outgoing(request)
        } catch {
            return .failure(TransportErrors.classify(error, host: request.host, timeout: timeout))
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.seconds * 1e9))
        // The exchange, body included, runs on the loop as one client task (no Swift task per
        // request) that a timer on the loop cancels at the deadline (a server that stalls
        // mid-body, or sends a byte a second). A cancelled NIO timer is gone at once.
        let response = BoundedResponse(limit: TransportLimits.maxBodyBytes)
        let exchange = client.execute(
            request: outgoing, delegate: response, eventLoop: .delegate(on: loop), deadline: deadline)
        let expired = DeadlineFlag()
        let timer = loop.scheduleTask(deadline: deadline) {
            expired.fire()
            exchange.cancel()
        }
        let result: Result<TransportResponse, any Error>
        do {
            result = .success(
                try await withTaskCancellationHandler {
                    try await exchange.futureResult.get()
                } onCancel: {
                    exchange.cancel()
                })
        } catch {
            result = .failure(error)
        }
        timer.cancel()
        return Self.answer(result, expired: expired.fired, host: request.host, timeout: timeout)
    }

    /// The exchange's outcome as the transport gives it: past the deadline a timeout, a body
    /// over the limit an answer without its body, any other error classified.
    private static func answer(
        _ result: Result<TransportResponse, any Error>, expired: Bool, host: String, timeout: Duration
    ) -> Result<TransportResponse, RequestFailure> {
        switch result {
        case .success(let answer):
            .success(answer)
        case .failure where expired:
            .failure(.timedOut(host: host, after: timeout))
        case .failure(let error as BoundedResponse.TooBig):
            .success(TransportResponse(status: error.status, retryAfter: error.retryAfter, body: nil))
        case .failure(let error):
            .failure(TransportErrors.classify(error, host: host, timeout: timeout))
        }
    }

    private static func outgoing(_ request: TransportRequest) throws -> HTTPClient.Request {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: request.authorization)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "fleet")
        if request.body != nil { headers.add(name: "Content-Type", value: "application/json") }
        return try HTTPClient.Request(
            url: request.url, method: request.method == .get ? .GET : .PUT, headers: headers,
            body: request.body.map { .byteBuffer(ByteBuffer(bytes: $0)) })
    }
}

/// An answer read on the loop: its head, and its body up to `limit` bytes. A longer body ends
/// the exchange (nothing more is read) as `TooBig`, with the status and Retry-After it had.
private final class BoundedResponse: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = TransportResponse

    struct TooBig: Error {
        var status: Int
        var retryAfter: String?
    }

    // Touched on the client's loop only, one callback after another.
    private let limit: Int
    private var status = 0
    private var retryAfter: String?
    private var body: ByteBuffer?

    init(limit: Int) {
        self.limit = limit
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        retryAfter = head.headers.first(name: "Retry-After")
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ part: ByteBuffer) -> EventLoopFuture<Void> {
        var part = part
        if (body?.readableBytes ?? 0) + part.readableBytes > limit {
            return task.eventLoop.makeFailedFuture(TooBig(status: status, retryAfter: retryAfter))
        }
        if body == nil { body = part } else { body!.writeBuffer(&part) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        TransportResponse(
            status: status, retryAfter: retryAfter, body: body.map { Data($0.readableBytesView) } ?? Data())
    }
}

/// Whether a request's deadline went off.
private final class DeadlineFlag: Sendable {
    private let state = Atomic(false)
    var fired: Bool { state.load(ordering: .acquiring) }
    func fire() { state.store(true, ordering: .releasing) }
}

/// Transport errors as one short sentence naming the host, without the library's internals.
enum TransportErrors {
    static func classify(_ error: any Error, host: String, timeout: Duration) -> RequestFailure {
        if let failure = tls(error, host: host) { return failure }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
                return .timedOut(host: host, after: timeout)
            case .remoteConnectionClosed:
                return RequestFailure(kind: .network, message: "\(host) closed the connection without answering")
            case .cancelled:
                return RequestFailure(kind: .network, message: "the request to \(host) was cancelled")
            default:
                break
            }
        }
        if error is CancellationError {
            return RequestFailure(kind: .network, message: "the request to \(host) was cancelled")
        }
        if let connection = error as? NIOConnectionError {
            if connection.connectionErrors.isEmpty, connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return RequestFailure(kind: .network, message: "the name \(host) could not be resolved (DNS)")
            }
            if let first = connection.connectionErrors.first?.error {
                return classify(first, host: host, timeout: timeout)
            }
        }
        if error is SocketAddressError {
            return RequestFailure(kind: .network, message: "the name \(host) could not be resolved (DNS)")
        }
        if let io = error as? IOError { return errno(io.errnoCode, host: host, timeout: timeout) }
        if let channel = error as? ChannelError, case .connectTimeout = channel {
            return .timedOut(host: host, after: timeout)
        }
        return RequestFailure(kind: .network, message: "the connection to \(host) failed (\(type(of: error)))")
    }

    static func errno(_ code: CInt, host: String, timeout: Duration) -> RequestFailure {
        switch code {
        case ECONNREFUSED: RequestFailure(kind: .network, message: "the connection to \(host) was refused")
        case ECONNRESET, EPIPE: .reset(host: host)
        case ENETUNREACH, EHOSTUNREACH: RequestFailure(kind: .network, message: "\(host) cannot be reached (no route)")
        case ETIMEDOUT: .timedOut(host: host, after: timeout)
        default:
            RequestFailure(
                kind: .network, message: "the connection to \(host) failed (\(String(cString: strerror(code))))")
        }
    }

    /// A refused certificate (or any failed handshake) is `tls`: retrying cannot help.
    static func tls(_ error: any Error, host: String) -> RequestFailure? {
        if let extra = error as? NIOSSLExtraError,
            extra == .failedToValidateHostname || extra == .serverHostnameImpossibleToMatch
        {
            return RequestFailure(
                kind: .tls, message: "the certificate of \(host) is for another host name; check --api-base")
        }
        guard let ssl = error as? NIOSSLError else { return nil }
        if case .handshakeFailed(let boring) = ssl {
            let reason = Self.reason(String(describing: boring))
            if reason == "CERTIFICATE_VERIFY_FAILED" {
                return RequestFailure(
                    kind: .tls,
                    message:
                        "the certificate of \(host) is not trusted (an unknown authority, or expired); pass --ca-file if you use a private CA"
                )
            }
            return RequestFailure(
                kind: .tls, message: "the TLS handshake with \(host) failed (\(reason ?? "no reason given"))")
        }
        return RequestFailure(kind: .tls, message: "the TLS connection to \(host) failed (\(ssl))")
    }

    /// `CERTIFICATE_VERIFY_FAILED` out of BoringSSL's `error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at …`.
    static func reason(_ text: String) -> String? {
        guard let range = text.range(of: "OPENSSL_internal:") else { return nil }
        let rest = text[range.upperBound...]
        return String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
    }
}
