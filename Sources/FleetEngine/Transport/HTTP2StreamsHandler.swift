import FleetModel
import Foundation
import NIOCore
import NIOHPACK
import NIOHTTP2

/// The exchanges of one HTTP/2 connection, each a stream, on NIOHTTP2's frames: no channel per
/// stream (that was a third of the CPU of async-http-client's HTTP/2), a stream's answer gathered
/// here, its deadline a timer that resets the stream and leaves the others running. Touched on the
/// connection's loop only.
final class HTTP2StreamsHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// What a client tells the server at the start: no pushed streams.
    static let settings = [
        HTTP2Setting(parameter: .enablePush, value: 0), HTTP2Setting(parameter: .maxConcurrentStreams, value: 100),
        HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 16),
    ]

    private struct Stream {
        var promise: EventLoopPromise<TransportResponse>
        /// Starts the exchange again when the server took none of the stream; gets the failure
        /// to give if it cannot.
        var again: (RequestFailure) -> Void
        var host: String
        var timer: Scheduled<Void>?
        var status = 0
        var retryAfter: String?
        var body = ByteBuffer()
    }

    private var context: ChannelHandlerContext?
    private var streams: [HTTP2StreamID: Stream] = [:]
    private var nextStreamID: Int32 = 1
    /// Bytes of `DATA` taken in and not yet given back to the connection's window.
    private var unacknowledged = 0
    private var flushPending = false
    /// False once the server said GOAWAY or the connection closed: new exchanges go elsewhere.
    private var open = true
    /// Whether a new exchange may go on this connection: it is open and has stream ids left
    /// (a connection that used them all is left to finish its streams, and a new one opened).
    var usable: Bool { open && nextStreamID < Int32.max - 2 }
    /// Since when it has had no stream (nil while one is open).
    private var idleSince: NIODeadline?

    /// Whether it has had no stream for `limit` or longer at `now`.
    func idle(for limit: TimeAmount, at now: NIODeadline) -> Bool { idleSince.map { now - $0 >= limit } ?? false }

    /// Takes no new exchange; closes once its streams end (at once when it has none).
    func retire() {
        open = false
        closeIfDrained()
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Opens a stream for `request`; `promise` gets its answer or failure, by `deadline` at the
    /// latest, unless the server takes none of it: then `again` starts the exchange anew.
    func begin(
        _ request: TransportRequest, authority: String, path: String, scheme: String, deadline: NIODeadline,
        timeout: Duration, promise: EventLoopPromise<TransportResponse>, exchange: NIOTransport.Exchange,
        again: @escaping (RequestFailure) -> Void
    ) {
        guard let context, usable else {
            return promise.fail(RequestFailure(kind: .network, message: "\(request.host) closed the connection"))
        }
        let id = HTTP2StreamID(nextStreamID)
        nextStreamID += 2
        var stream = Stream(promise: promise, again: again, host: request.host)
        stream.timer = context.eventLoop.scheduleTask(deadline: deadline) { [self] in
            end(id, .failure(RequestFailure.timedOut(host: request.host, after: timeout)), reset: true)
        }
        streams[id] = stream
        idleSince = nil
        exchange.stream = (self, id)
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { [self] error in end(id, .failure(error)) }
        context.write(
            wrapOutboundOut(Self.headers(request, authority: authority, path: path, scheme: scheme, id)),
            promise: written)
        if let body = request.body {
            let data = HTTP2Frame.FramePayload.Data(data: .byteBuffer(ByteBuffer(bytes: body)), endStream: true)
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .data(data))), promise: nil)
        }
        flushSoon(context)
    }

    private static func headers(
        _ request: TransportRequest, authority: String, path: String, scheme: String, _ id: HTTP2StreamID
    ) -> HTTP2Frame {
        var headers = HPACKHeaders()
        headers.reserveCapacity(9)
        headers.add(name: ":method", value: request.method == .get ? "GET" : "PUT")
        headers.add(name: ":scheme", value: scheme)
        headers.add(name: ":authority", value: authority)
        headers.add(name: ":path", value: path)
        // A different token for nearly every request: kept out of the connection's header table.
        headers.add(name: "authorization", value: request.authorization, indexing: .neverIndexed)
        headers.add(name: "accept", value: "application/json")
        headers.add(name: "user-agent", value: "fleet")
        if let body = request.body {
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: "\(body.count)")
        }
        return HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers, endStream: request.body == nil)))
    }

    /// Requests begun in one turn of the loop go out in one write.
    private func flushSoon(_ context: ChannelHandlerContext) {
        guard !flushPending else { return }
        flushPending = true
        context.eventLoop.execute { [self] in
            flushPending = false
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            read(headers, on: frame.streamID)
        case .data(let data):
            read(data, on: frame.streamID, context: context)
        case .rstStream(let code):
            let host = streams[frame.streamID]?.host ?? ""
            let failure = RequestFailure(kind: .network, message: "\(host) reset the stream without answering")
            if code == .refusedStream { return unprocessed(frame.streamID, failure) }
            end(frame.streamID, .failure(failure))
        case .goAway(let last, _, _):
            // Streams past `last` were not processed (RFC 9113, 6.8): they start again elsewhere.
            open = false
            for id in streams.keys where id > last {
                let host = streams[id]?.host ?? ""
                unprocessed(
                    id, RequestFailure(kind: .network, message: "\(host) closed the connection without answering"))
            }
            closeIfDrained()
        default:
            break
        }
    }

    private func read(_ headers: HTTP2Frame.FramePayload.Headers, on id: HTTP2StreamID) {
        guard streams[id] != nil else { return }
        if let status = headers.headers.first(name: ":status").flatMap({ Int($0) }), status >= 200 {
            streams[id]?.status = status
            streams[id]?.retryAfter = headers.headers.first(name: "retry-after")
        }
        if headers.endStream { complete(id) }
    }

    private func read(_ data: HTTP2Frame.FramePayload.Data, on id: HTTP2StreamID, context: ChannelHandlerContext) {
        let length = data.data.readableBytes + (data.paddingBytes.map { $0 + 1 } ?? 0)
        unacknowledged += length
        if unacknowledged >= 1 << 15 {
            context.write(
                wrapOutboundOut(
                    HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: unacknowledged))),
                promise: nil)
            unacknowledged = 0
            flushSoon(context)
        }
        guard let size = streams[id]?.body.readableBytes, case .byteBuffer(var part) = data.data else { return }
        guard size + part.readableBytes <= TransportLimits.maxBodyBytes else { return refuseBody(of: id) }
        streams[id]?.body.writeBuffer(&part)
        if data.endStream {
            complete(id)
        } else if length > 0 {
            context.write(
                wrapOutboundOut(HTTP2Frame(streamID: id, payload: .windowUpdate(windowSizeIncrement: length))),
                promise: nil)
            flushSoon(context)
        }
    }

    /// As over HTTP/1.1: the status with no body, which the API refuses as too big.
    private func refuseBody(of id: HTTP2StreamID) {
        guard let stream = streams[id] else { return }
        end(
            id, .success(TransportResponse(status: stream.status, retryAfter: stream.retryAfter, body: nil)),
            reset: true)
    }

    private func complete(_ id: HTTP2StreamID) {
        guard let stream = streams[id] else { return }
        let body = Data(stream.body.readableBytesView)
        end(id, .success(TransportResponse(status: stream.status, retryAfter: stream.retryAfter, body: body)))
    }

    /// Ends a stream's exchange; `reset` tells the server to stop sending it (a deadline, a
    /// cancelled task, a body over the limit).
    func end(_ id: HTTP2StreamID, _ result: Result<TransportResponse, any Error>, reset: Bool = false) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        stream.timer?.cancel()
        if reset, let context, context.channel.isActive {
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .rstStream(.cancel))), promise: nil)
            flushSoon(context)
        }
        stream.promise.completeWith(result)
        closeIfDrained()
    }

    /// A stream the server took none of (REFUSED_STREAM, or past GOAWAY's last stream): its
    /// exchange starts again rather than failing, since nothing of it reached the API.
    private func unprocessed(_ id: HTTP2StreamID, _ failure: RequestFailure) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        stream.timer?.cancel()
        stream.again(failure)
        closeIfDrained()
    }

    /// A connection no longer taken (GOAWAY, out of stream ids, retired) closes once its last
    /// stream ends; one still taken is idle from then.
    private func closeIfDrained() {
        guard streams.isEmpty else { return }
        idleSince = .now()
        if !usable, let context, context.channel.isActive { context.close(promise: nil) }
    }

    func close() { context?.close(promise: nil) }

    private func endAll(_ error: any Error) {
        open = false
        for id in Array(streams.keys) { end(id, .failure(error)) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for (id, stream) in streams {
            end(
                id,
                .failure(
                    RequestFailure(kind: .network, message: "\(stream.host) closed the connection without answering")))
        }
        open = false
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOHTTP2Errors.StreamError {
            return end(error.streamID, .failure(error.baseError), reset: true)
        }
        endAll(error)
        context.close(promise: nil)
    }
}
