import FleetEngine
import FleetModel
import FleetStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// Serving on a free port of 127.0.0.1 for the length of a body: the pattern the simulator, the
/// demo and the tests' servers share.
package enum LoopbackServer {
    /// Starts `serve` (which calls its argument with the bound port once listening), runs `body`
    /// with that port, then stops the server.
    package static func withRunning<T: Sendable>(
        _ serve: @escaping @Sendable (_ onReady: @escaping @Sendable (Int) async -> Void) async throws -> Void,
        _ body: @Sendable (Int) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await serve { port in continuation.yield(port) }
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await group.next()
                throw FleetError.internal("the local server did not start.")
            }
            let result = try await body(port)
            group.cancelAll()
            return result
        }
    }
}
