import FleetModel
import Foundation

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
