import FleetModel
import Foundation

/// GET and PUT of a project's SIP profile over any `Transport`, every answer classified into a
/// profile or a `RequestFailure` whose message is safe to store and print.
package struct SignalWireAPI: Sendable {
    let transport: any Transport
    package let apiBase: APIBase
    /// How long one request may take, connection and whole body included.
    let timeout: Duration
    let now: @Sendable () -> Date

    package init(
        transport: any Transport, apiBase: APIBase, timeout: Duration, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.transport = transport
        self.apiBase = apiBase
        self.timeout = timeout
        self.now = now
    }

    /// A profile the API answered with, and the JSON it came as (kept as the snapshot, so a
    /// snapshot is exactly what the API said and costs no re-encoding).
    package struct Answer: Sendable, Equatable {
        package var status: Int
        package var profile: SipProfile
        package var json: String
        /// The keys the answer had: a field the template sets must be among them, or the profile
        /// could not be restored later.
        package var fields: Set<ProfileField>

        package init(status: Int, profile: SipProfile, json: String, fields: Set<ProfileField>) {
            self.status = status
            self.profile = profile
            self.json = json
            self.fields = fields
        }
    }

    package func getProfile(space: String, credentials: Credentials) async -> Result<Answer, RequestFailure> {
        await send(.get, space: space, credentials: credentials, body: nil)
    }

    /// PUT answers 201; older API revisions answered 200, so both count as success.
    package func putProfile(space: String, credentials: Credentials, profile: SipProfile) async -> Result<
        Answer, RequestFailure
    > {
        await send(.put, space: space, credentials: credentials, body: profile.writable.jsonData())
    }

    private func send(_ method: HTTPVerb, space: String, credentials: Credentials, body: Data?) async -> Result<
        Answer, RequestFailure
    > {
        let request = TransportRequest(
            method: method, url: apiBase.profileURL(space: space), host: apiBase.host(space: space),
            authorization: credentials.authorization, body: body)
        switch await transport.send(request, timeout: timeout) {
        case .success(let response):
            return Self.classify(response, method: method, credentials: credentials, now: now())
        case .failure(var failure):
            failure.message = credentials.scrub(failure.message)
            return .failure(failure)
        }
    }

    static func classify(_ response: TransportResponse, method: HTTPVerb, credentials: Credentials, now: Date)
        -> Result<Answer, RequestFailure>
    {
        let status = response.status
        let accepted = method == .get ? [200] : [200, 201]
        guard accepted.contains(status) else {
            return .failure(failure(status: status, response: response, credentials: credentials, now: now))
        }
        guard let body = response.body else {
            return .failure(
                RequestFailure(kind: .protocol, httpStatus: status, message: "HTTP \(status) with a body over 1 MiB"))
        }
        guard let decoded = SipProfile.answer(body) else {
            return .failure(
                RequestFailure(
                    kind: .protocol, httpStatus: status,
                    message: "HTTP \(status) with a body that is not a SIP profile (a JSON object of its fields)"))
        }
        let json = credentials.scrubProfile(String(decoding: body, as: UTF8.self))
        return .success(Answer(status: status, profile: decoded.profile, json: json, fields: decoded.fields))
    }

    static func failure(status: Int, response: TransportResponse, credentials: Credentials, now: Date) -> RequestFailure
    {
        switch status {
        case 401, 403:
            return RequestFailure(
                kind: .unauthorized, httpStatus: status,
                message: "HTTP \(status): the project's token was refused; check it and its Voice scope")
        case 422:
            let details =
                response.body.flatMap { try? JSONDecoder().decode(ValidationErrorBody.self, from: $0) }?.errors
                .compactMap(\.detail) ?? []
            let detail = details.isEmpty ? "the API rejected the body" : details.joined(separator: "; ")
            return RequestFailure(kind: .validation, httpStatus: status, message: credentials.scrub(detail))
        case 429:
            return RequestFailure(
                kind: .rateLimited, httpStatus: status, message: "HTTP 429: rate limit exceeded",
                retryAfter: RetryAfter.parse(response.retryAfter, now: now))
        case 500...599:
            return RequestFailure(
                kind: .server, httpStatus: status, message: "HTTP \(status): server error",
                retryAfter: RetryAfter.parse(response.retryAfter, now: now))
        case 404:
            return RequestFailure(
                kind: .protocol, httpStatus: status,
                message: "HTTP 404: no SIP profile at this URL; check that --api-base ends in /api/relay/rest")
        default:
            return RequestFailure(kind: .protocol, httpStatus: status, message: "unexpected HTTP \(status)")
        }
    }
}

struct ValidationErrorBody: Decodable {
    struct Item: Decodable { var detail: String? }
    var errors: [Item]
}
