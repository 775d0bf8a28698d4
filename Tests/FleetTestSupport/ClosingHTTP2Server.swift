import FleetModel
import FleetSimulator
import Foundation
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// An HTTPS server that speaks HTTP/2 only and ends each connection as RFC 9113 lets a server do:
/// of the streams a connection brings, it answers the first two with a profile, refuses the third
/// (RST_STREAM REFUSED_STREAM), answers the fourth, and on the fifth says GOAWAY naming the fourth
/// as the last it processed and closes, leaving the fifth unprocessed. A client may start a
/// refused or unprocessed stream again; any other failure is the client's.
package final class ClosingHTTP2Server: Sendable {
    /// What the server did, for tests to assert on.
    package struct Counts: Sendable, Equatable {
        package var connections = 0
        package var answered = 0
        package var refused = 0
        package var unprocessed = 0

        package init(connections: Int = 0, answered: Int = 0, refused: Int = 0, unprocessed: Int = 0) {
            (self.connections, self.answered, self.refused, self.unprocessed) = (
                connections, answered, refused, unprocessed
            )
        }
    }

    private let counts = Mutex(Counts())

    package init() {}

    package var seen: Counts { counts.withLock { $0 } }

    private func count(_ change: (inout Counts) -> Void) { counts.withLock { change(&$0) } }

    /// Serves on a free port of 127.0.0.1 for the length of `body`.
    package func run<T: Sendable>(_ body: @Sendable (HostileServer.Endpoint) async throws -> T) async throws -> T {
        let authority = FileManager.default.temporaryDirectory.appendingPathComponent("closing-\(UUID()).pem").path
        defer { try? FileManager.default.removeItem(atPath: authority) }
        var tls = try SimulatorTLS.generated(authorityFile: authority).serverConfiguration()
        tls.applicationProtocols = ["h2"]
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ServerBootstrap(group: TestLoops.servers)
            .childChannelInitializer { [self] channel in
                count { $0.connections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLServerHandler(context: context))
                    try pipeline.addHandler(NIOHTTP2Handler(mode: .server))
                    try pipeline.addHandler(Connection(server: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        do {
            let result = try await body(HostileServer.Endpoint(base: "https://127.0.0.1:\(port)", caFile: authority))
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// One connection's streams, counted as they come.
    private final class Connection: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTP2Frame
        typealias OutboundOut = HTTP2Frame

        let server: ClosingHTTP2Server
        var streams = 0
        var lastAnswered = HTTP2StreamID.rootStream

        init(server: ClosingHTTP2Server) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            guard case .headers(let headers) = frame.payload, headers.endStream else { return }
            streams += 1
            switch streams {
            case 3:
                server.count { $0.refused += 1 }
                context.writeAndFlush(
                    wrapOutboundOut(HTTP2Frame(streamID: frame.streamID, payload: .rstStream(.refusedStream))),
                    promise: nil)
            case 5:
                server.count { $0.unprocessed += 1 }
                let goAway = HTTP2Frame(
                    streamID: .rootStream,
                    payload: .goAway(lastStreamID: lastAnswered, errorCode: .noError, opaqueData: nil))
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(goAway)).whenComplete { _ in channel.close(promise: nil) }
            default:
                server.count { $0.answered += 1 }
                answer(frame.streamID, context: context)
            }
        }

        private func answer(_ id: HTTP2StreamID, context: ChannelHandlerContext) {
            lastAnswered = id
            let body = SipProfile(domainIdentifier: "x", defaultCodecs: ["PCMU"]).jsonString()
            let head = HPACKHeaders([(":status", "200"), ("content-type", "application/json")])
            context.write(
                wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: head)))), promise: nil)
            let data = HTTP2Frame.FramePayload.Data(data: .byteBuffer(ByteBuffer(string: body)), endStream: true)
            context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .data(data))), promise: nil)
        }
    }
}
