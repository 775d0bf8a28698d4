import FleetModel
import Foundation
import NIOCore
import NIOHTTP1

/// Gathers one response at a time on its connection, the body up to the limit.
final class HTTP1ResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private var promise: EventLoopPromise<TransportResponse>?
    private var host = ""
    private var done: ((Result<TransportResponse, any Error>) -> Void)?
    private var status = 0
    private var retryAfter: String?
    private var body = ByteBuffer()
    private var tooBig = false
    private(set) var keepAlive = true

    func begin(
        _ promise: EventLoopPromise<TransportResponse>, host: String,
        done: @escaping (Result<TransportResponse, any Error>) -> Void
    ) {
        self.promise = promise
        self.host = host
        self.done = done
        (status, retryAfter, body, tooBig) = (0, nil, ByteBuffer(), false)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            retryAfter = head.headers.first(name: "Retry-After")
            keepAlive = head.isKeepAlive
        case .body(var part):
            if body.readableBytes + part.readableBytes > TransportLimits.maxBodyBytes {
                tooBig = true
            } else {
                body.writeBuffer(&part)
            }
        case .end:
            let data = tooBig ? nil : Data(body.readableBytesView)
            finish(.success(TransportResponse(status: status, retryAfter: retryAfter, body: data)))
        }
    }

    func fail(_ error: any Error) { finish(.failure(error)) }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(RequestFailure(kind: .network, message: "\(host) closed the connection without answering")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func finish(_ result: Result<TransportResponse, any Error>) {
        guard let promise else { return }
        let done = self.done
        (self.promise, self.done) = (nil, nil)
        done?(result)
        promise.completeWith(result)
    }
}
