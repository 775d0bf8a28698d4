import FleetModel
import Foundation

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
