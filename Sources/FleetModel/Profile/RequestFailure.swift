/// One failed HTTP attempt, classified.
package struct RequestFailure: Error, Sendable, Equatable {
    package var kind: ErrorKind
    /// The status the server sent; nil when no answer arrived.
    package var httpStatus: Int?
    /// A short message safe to store and print: never the token, no control characters.
    package var message: String
    /// The server's Retry-After, when it sent a usable one.
    package var retryAfter: Duration?

    package init(kind: ErrorKind, httpStatus: Int? = nil, message: String, retryAfter: Duration? = nil) {
        self.kind = kind
        self.httpStatus = httpStatus
        self.message = message
        self.retryAfter = retryAfter
    }
}

extension RequestFailure {
    /// No whole answer from `host` within `timeout`.
    package static func timedOut(host: String, after timeout: Duration) -> RequestFailure {
        let seconds = timeout.seconds
        let shown = seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
        return RequestFailure(kind: .timeout, message: "no whole answer from \(host) within \(shown)")
    }

    /// The connection to `host` was reset (or closed) before an answer.
    package static func reset(host: String) -> RequestFailure {
        RequestFailure(kind: .network, message: "the connection to \(host) was reset")
    }
}
