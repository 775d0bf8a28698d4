import FleetModel
import Foundation

/// "Send this request, get an answer or a failure": the seam between the executor and the
/// network. `HTTPClientTransport` is the real one; the simulator has an in-process one for tests.
/// A failure here is one of the kinds without an answer: `timeout`, `network` or `tls`.
package protocol Transport: Sendable {
    /// One exchange, bounded by `timeout` from its start to the last byte of the body.
    func send(_ request: TransportRequest, timeout: Duration) async -> Result<TransportResponse, RequestFailure>
}
