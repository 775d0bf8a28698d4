import FleetModel
import Foundation

/// How to build a transport for an execution.
package struct TransportOptions: Sendable, Equatable {
    /// Requests in flight at most: the connection pool per host is sized to it.
    package var concurrency: Int
    /// A certificate or bundle to trust besides the system's roots.
    package var caFile: String?
    /// Offer only HTTP/1.1 (no HTTP/2 through ALPN).
    package var http1Only: Bool
    /// A kept connection idle this long is not sent on again (`TransportLimits.maxIdle`).
    package var maxIdle: Duration

    package init(
        concurrency: Int, caFile: String? = nil, http1Only: Bool = false, maxIdle: Duration = TransportLimits.maxIdle
    ) {
        self.concurrency = concurrency
        self.caFile = caFile
        self.http1Only = http1Only
        self.maxIdle = maxIdle
    }
}
