import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// fleet's `Transport` straight into a `SignalWireSimulator`, without sockets: what executor
/// and command tests use, on virtual time, so concurrency, rates, backoff and timeouts are the
/// executor's own behaviour, asserted instantly. A dropped answer is a reset connection and an
/// answer later than the timeout is a timeout, as over HTTP.
package struct SimulatorTransport: Transport {
    package let simulator: SignalWireSimulator

    package init(simulator: SignalWireSimulator) {
        self.simulator = simulator
    }

    package func send(_ request: TransportRequest, timeout: Duration) async -> Result<TransportResponse, RequestFailure>
    {
        let url = URLComponents(string: request.url)
        let authority = url?.host.map { host in url?.port.map { "\(host):\($0)" } ?? host }
        guard case .profile(let space) = SimulatorRoute(path: url?.path ?? "", authority: authority) else {
            return .success(TransportResponse(status: 404, body: SignalWireSimulator.json(["error": "Not Found"])))
        }
        let received = simulator.receive(
            method: request.method.rawValue, space: space, authorization: request.authorization,
            body: request.body ?? Data())
        if received.wait >= timeout {
            try? await simulator.clock.sleep(for: timeout)
            _ = simulator.complete(received)
            return .failure(.timedOut(host: request.host, after: timeout))
        }
        if received.wait > .zero { try? await simulator.clock.sleep(for: received.wait) }
        let reply = simulator.complete(received)
        if reply.drop {
            return .failure(.reset(host: request.host))
        }
        let body = reply.body.count > TransportLimits.maxBodyBytes ? nil : reply.body
        return .success(TransportResponse(status: reply.status, retryAfter: reply.headers["Retry-After"], body: body))
    }
}
