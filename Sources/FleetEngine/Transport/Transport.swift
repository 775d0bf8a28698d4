import FleetModel
import Foundation

package enum HTTPVerb: String, Sendable {
    case get = "GET"
    case put = "PUT"
}

/// One request for one project, as the transport sends it.
package struct TransportRequest: Sendable {
    package var method: HTTPVerb
    package var url: String
    /// The host it goes to, for messages.
    package var host: String
    package var authorization: String
    package var body: Data?

    package init(method: HTTPVerb, url: String, host: String, authorization: String, body: Data?) {
        self.method = method
        self.url = url
        self.host = host
        self.authorization = authorization
        self.body = body
    }
}

/// What came back, unclassified.
package struct TransportResponse: Sendable {
    package var status: Int
    package var retryAfter: String?
    /// The body, or nil when it was over `Transport.maxBodyBytes` (and was not read further).
    package var body: Data?

    package init(status: Int, retryAfter: String? = nil, body: Data?) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
    }
}

/// "Send this request, get an answer or a failure": the seam between the executor and the
/// network. `HTTPClientTransport` is the real one; the simulator has an in-process one for tests.
/// A failure here is one of the kinds without an answer: `timeout`, `network` or `tls`.
package protocol Transport: Sendable {
    /// One exchange, bounded by `timeout` from its start to the last byte of the body.
    func send(_ request: TransportRequest, timeout: Duration) async -> Result<TransportResponse, RequestFailure>
}

package enum TransportLimits {
    /// Response bodies are read up to this size.
    package static let maxBodyBytes = 1 << 20
}

/// How to build a transport for an execution.
package struct TransportOptions: Sendable, Equatable {
    /// Requests in flight at most: the connection pool per host is sized to it.
    package var concurrency: Int
    /// A certificate or bundle to trust besides the system's roots.
    package var caFile: String?
    /// Offer only HTTP/1.1 (no HTTP/2 through ALPN).
    package var http1Only: Bool

    package init(concurrency: Int, caFile: String? = nil, http1Only: Bool = false) {
        self.concurrency = concurrency
        self.caFile = caFile
        self.http1Only = http1Only
    }
}

/// Builds a transport for the length of a body and tears it down after.
package protocol TransportProvider: Sendable {
    func withTransport<T: Sendable>(_ options: TransportOptions, _ body: @Sendable (any Transport) async throws -> T)
        async throws -> T
    /// How long answers gather before the recorder commits them together (see `RunRecorder`):
    /// over a network they arrive a few at a time, and one commit for many costs far less CPU
    /// than one each. An in-process transport answers at once: nothing to wait for.
    var commitWindow: Duration { get }
}

extension TransportProvider {
    package var commitWindow: Duration { .zero }
}
