import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The credentials of one project, opened from the inventory for the length of a run.
public struct Credentials: Sendable {
    public let projectID: String
    public let token: String
    /// The Authorization header, built once: a task sends it with every attempt.
    let authorization: String

    public init(projectID: String, token: String) {
        self.projectID = projectID
        self.token = token
        authorization = "Basic " + Data("\(projectID):\(token)".utf8).base64EncodedString()
    }

    /// Removes the token from text that came from outside (an API detail) before it is kept.
    func scrub(_ text: String) -> String {
        token.isEmpty ? text : text.replacingOccurrences(of: token, with: TokenVault.mask(token))
    }
}

/// GET and PUT of the SIP profile through one shared `HTTPClient`, every failure classified into
/// an `ErrorKind`. Bodies are read up to 1 MiB; redirects are never followed (the client is built
/// by `HTTPClient.withFleetClient`), so Authorization goes only to the space's own host.
public struct SignalWireClient: Sendable {
    public static let maxBodyBytes = 1 << 20
    let http: HTTPClient
    let apiBase: APIBase
    /// How long one request may take, connection included.
    let timeout: Duration

    public init(http: HTTPClient, apiBase: APIBase, timeout: Duration) {
        self.http = http
        self.apiBase = apiBase
        self.timeout = timeout
    }

    /// A profile the API answered with, and the JSON it came as (kept as the snapshot, so a
    /// snapshot is exactly what the API said and costs no re-encoding).
    public struct Answer: Sendable {
        public var profile: SipProfile
        public var json: String
    }

    public func getProfile(space: String, credentials: Credentials) async -> Result<Answer, RequestFailure> {
        await send(.GET, space: space, credentials: credentials, body: nil, accepted: [200])
    }

    /// PUT answers 201; older API revisions answered 200, so both count as success.
    public func putProfile(space: String, credentials: Credentials, profile: SipProfile) async -> Result<Answer, RequestFailure> {
        await send(.PUT, space: space, credentials: credentials, body: profile.writable.jsonData(), accepted: [200, 201])
    }

    private func send(_ method: HTTPMethod, space: String, credentials: Credentials, body: Data?, accepted: Set<Int>) async -> Result<Answer, RequestFailure> {
        var request = HTTPClientRequest(url: apiBase.profileURL(space: space))
        request.method = method
        request.headers.add(name: "Authorization", value: credentials.authorization)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "fleet")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await http.execute(request, deadline: deadline)
            let status = Int(response.status.code)
            let bytes: ByteBuffer
            do {
                bytes = try await response.body.collect(upTo: Self.maxBodyBytes)
            } catch is NIOTooManyBytesError {
                return .failure(RequestFailure(kind: .protocol, httpStatus: status, message: "HTTP \(status) with a body over 1 MiB"))
            }
            let data = Data(bytes.readableBytesView)
            if accepted.contains(status) {
                guard let profile = SipProfile.decode(data) else {
                    return .failure(RequestFailure(kind: .protocol, httpStatus: status, message: "HTTP \(status) with a body that is not a SIP profile"))
                }
                return .success(Answer(profile: profile, json: String(decoding: data, as: UTF8.self)))
            }
            return .failure(Self.classify(status: status, body: data, headers: response.headers, credentials: credentials))
        } catch {
            return .failure(Self.classify(error))
        }
    }

    static func classify(status: Int, body: Data, headers: HTTPHeaders, credentials: Credentials) -> RequestFailure {
        switch status {
        case 401, 403:
            return RequestFailure(kind: .unauthorized, httpStatus: status,
                                  message: "HTTP \(status): the project's token was refused; check it and its Voice scope")
        case 422:
            let details = (try? JSONDecoder().decode(ValidationErrorBody.self, from: body))?.errors.map(\.detail) ?? []
            let detail = details.isEmpty ? "the API rejected the body" : details.joined(separator: "; ")
            return RequestFailure(kind: .validation, httpStatus: status, message: credentials.scrub(String(detail.prefix(500))))
        case 429:
            return RequestFailure(kind: .rateLimited, httpStatus: status, message: "HTTP 429: rate limit exceeded",
                                  retryAfter: retryAfter(headers.first(name: "Retry-After")))
        case 500...599:
            return RequestFailure(kind: .server, httpStatus: status, message: "HTTP \(status): server error",
                                  retryAfter: retryAfter(headers.first(name: "Retry-After")))
        default:
            return RequestFailure(kind: .protocol, httpStatus: status, message: "unexpected HTTP \(status)")
        }
    }

    static func classify(_ error: any Error) -> RequestFailure {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
                return RequestFailure(kind: .timeout, message: "no answer before the request's deadline")
            case .remoteConnectionClosed:
                return RequestFailure(kind: .network, message: "the server closed the connection without answering")
            case .cancelled:
                return RequestFailure(kind: .network, message: "cancelled")
            default:
                return RequestFailure(kind: .network, message: "connection failed: \(error)")
            }
        }
        if error is CancellationError {
            return RequestFailure(kind: .network, message: "cancelled")
        }
        return RequestFailure(kind: .network, message: "connection failed: \(String(describing: error).prefix(200))")
    }

    /// Seconds, or an HTTP date.
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSinceNow) * 1000))
    }
}

struct ValidationErrorBody: Decodable {
    struct Item: Decodable { var detail: String }
    var errors: [Item]
}

extension HTTPClient {
    /// Runs `body` with an HTTP client for fleet and always shuts it down: redirects off, and a
    /// connection pool as large as the concurrency (the default of 8 per host would cap throughput).
    /// The client and `body`'s tasks share one event loop (see `EventLoopTaskExecutor`).
    public static func withFleetClient<T: Sendable>(concurrency: Int, _ body: @Sendable (HTTPClient) async throws -> T) async throws -> T {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, concurrency))
        configuration.httpVersion = .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .shared(loop), configuration: configuration)
        do {
            let result = try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) { try await body(client) }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
