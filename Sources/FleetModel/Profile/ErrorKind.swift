/// Why an HTTP attempt or a task failed: a closed set with short stable names, stored as text so
/// reports can group by them.
package struct ErrorKind: Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: String

    private init(_ rawValue: String) { self.rawValue = rawValue }

    package init?(rawValue: String) {
        guard let kind = Self.all.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = kind
    }

    /// 401 or 403: a bad token, or one without the Voice scope.
    package static let unauthorized = ErrorKind("unauthorized")
    /// 422: the API rejected the body; its `detail` is kept.
    package static let validation = ErrorKind("validation")
    /// 429.
    package static let rateLimited = ErrorKind("rate_limited")
    /// 5xx, whatever its body.
    package static let server = ErrorKind("server")
    /// No whole answer before the request's deadline.
    package static let timeout = ErrorKind("timeout")
    /// The connection could not be made or was dropped.
    package static let network = ErrorKind("network")
    /// An answer fleet does not understand or could not restore later: an unexpected status or body.
    package static let `protocol` = ErrorKind("protocol")
    /// The template could not be filled for the project.
    package static let render = ErrorKind("render")
    /// The live profile changed since the saved plan read it.
    package static let conflict = ErrorKind("conflict")
    /// The server's certificate was refused.
    package static let tls = ErrorKind("tls")
    /// Left unstarted because the circuit breaker stopped the project's space.
    package static let unreachable = ErrorKind("unreachable")

    package static let all: [ErrorKind] = [
        .unauthorized, .validation, .rateLimited, .server, .timeout, .network, .protocol, .render, .conflict, .tls,
        .unreachable,
    ]

    /// Kinds worth another attempt; the others fail the task at once.
    package var isRetryable: Bool { self == .rateLimited || self == .server || self == .timeout || self == .network }

    package var description: String { rawValue }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let kind = ErrorKind(rawValue: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "unknown error kind \(text)"))
        }
        self = kind
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
