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
    let executor: EventLoopTaskExecutor

    package func send(_ request: TransportRequest, timeout: Duration) async -> Result<TransportResponse, RequestFailure>
    {
        let outgoing = Self.outgoing(request)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.seconds * 1e9))
        // The exchange, body included, is a task of its own that a timer on the loop cancels at
        // the deadline (a server that stalls mid-body, or sends a byte a second). A cancelled
        // NIO timer is gone at once, where a cancelled Task.sleep would hold its task until the
        // deadline.
        let exchange = Task(executorPreference: executor) { [client] in
            let response = try await client.execute(outgoing, deadline: deadline)
            let body: Data?
            do {
                body = Data(try await response.body.collect(upTo: TransportLimits.maxBodyBytes).readableBytesView)
            } catch is NIOTooManyBytesError {
                body = nil
            }
            return TransportResponse(
                status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), body: body)
        }
        let expired = DeadlineFlag()
        let timer = loop.scheduleTask(deadline: deadline) {
            expired.fire()
            exchange.cancel()
        }
        let result = await withTaskCancellationHandler {
            await exchange.result
        } onCancel: {
            exchange.cancel()
        }
        timer.cancel()
        switch result {
        case .success(let response):
            return .success(response)
        case .failure where expired.fired:
            return .failure(.timedOut(host: request.host, after: timeout))
        case .failure(let error):
            return .failure(TransportErrors.classify(error, host: request.host, timeout: timeout))
        }
    }

    private static func outgoing(_ request: TransportRequest) -> HTTPClientRequest {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method == .get ? .GET : .PUT
        outgoing.headers.add(name: "Authorization", value: request.authorization)
        outgoing.headers.add(name: "Accept", value: "application/json")
        outgoing.headers.add(name: "User-Agent", value: "fleet")
        if let body = request.body {
            outgoing.headers.add(name: "Content-Type", value: "application/json")
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        return outgoing
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
