import AsyncHTTPClient
import FleetModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Builds an `NIOTransport` per execution (or, with `FLEET_TRANSPORT=async-http-client`, an
/// `HTTPClientTransport`), on one event loop that the execution's tasks share (see
/// `EventLoopTaskExecutor`).
package struct HTTPTransportProvider: TransportProvider {
    /// Where executions get their loop: NIO's shared one, but for tests that keep theirs apart.
    let group: any EventLoopGroup

    package init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// 5 ms: about 25 answers a commit at 2,500 requests/s instead of two, at no cost in
    /// throughput (a request's slot is free once its answer is in; only the task's next request
    /// waits), and a run's last commit comes at most 5 ms later.
    package var commitWindow: Duration { .milliseconds(5) }

    package func withTransport<T: Sendable>(
        _ options: TransportOptions, _ body: @Sendable (any Transport) async throws -> T
    ) async throws -> T {
        let loop = group.next()
        if ProcessInfo.processInfo.environment["FLEET_TRANSPORT"] != "async-http-client" {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.applicationProtocols = options.http1Only ? ["http/1.1"] : ["h2", "http/1.1"]
            if let caFile = options.caFile {
                tls.additionalTrustRoots = [.certificates(try CertificateAuthorityFile.load(caFile))]
            }
            let transport = NIOTransport(
                loop: loop, tls: try NIOSSLContext(configuration: tls), offersHTTP2: !options.http1Only,
                maxIdle: .nanoseconds(Int64(options.maxIdle.seconds * 1e9)))
            defer { loop.execute { transport.close() } }
            return try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) { try await body(transport) }
        }
        let client = HTTPClient(eventLoopGroupProvider: .shared(loop), configuration: try Self.configuration(options))
        do {
            let executor = EventLoopTaskExecutor(loop)
            let result = try await withTaskExecutorPreference(executor) {
                try await body(HTTPClientTransport(client: client, loop: loop))
            }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func configuration(_ options: TransportOptions) throws -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.connectionPool = .init(
            idleTimeout: .nanoseconds(Int64(options.maxIdle.seconds * 1e9)),
            concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, options.concurrency))
        // fleet retries with its own backoff and stops an unreachable host with its circuit
        // breaker: a refused connection must fail its request now, not at the request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = options.http1Only ? .http1Only : .automatic
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let caFile = options.caFile {
            tls.additionalTrustRoots = [.certificates(try CertificateAuthorityFile.load(caFile))]
        }
        configuration.tlsConfiguration = tls
        return configuration
    }
}
