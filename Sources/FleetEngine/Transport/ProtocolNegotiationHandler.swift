import NIOCore
import NIOTLS

/// Waits on a new TLS connection for its handshake, sets up the protocol ALPN chose (`configure`
/// gets true for HTTP/2) and steps out of the pipeline. `then` hears once: the channel, or the
/// handshake's own error (an untrusted certificate, say), or that the connection closed or
/// failed first, or `late` at `deadline` (a server that never finishes its handshake). Touched on
/// the connection's loop only.
final class ProtocolNegotiationHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny

    private let deadline: NIODeadline
    private let late: any Error
    private let configure: (ChannelPipeline.SynchronousOperations, Bool) throws -> Void
    private var then: ((Result<any Channel, any Error>) -> Void)?
    private var timer: Scheduled<Void>?

    init(
        deadline: NIODeadline, late: any Error,
        configure: @escaping (ChannelPipeline.SynchronousOperations, Bool) throws -> Void,
        then: @escaping (Result<any Channel, any Error>) -> Void
    ) {
        (self.deadline, self.late) = (deadline, late)
        self.configure = configure
        self.then = then
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.scheduleTask(deadline: deadline) { [self] in
            fail(late)
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case TLSUserEvent.handshakeCompleted(let chosen) = event, then != nil else {
            return context.fireUserInboundEventTriggered(event)
        }
        do {
            try configure(context.pipeline.syncOperations, chosen == "h2")
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            finish(.success(context.channel))
        } catch {
            fail(error)
            context.close(promise: nil)
        }
    }

    /// Also for a connection that failed before its handshake began.
    func fail(_ error: any Error) { finish(.failure(error)) }

    private func finish(_ result: Result<any Channel, any Error>) {
        let then = self.then
        self.then = nil
        timer?.cancel()
        then?(result)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}
