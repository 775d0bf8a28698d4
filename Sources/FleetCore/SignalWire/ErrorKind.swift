/// Why an HTTP attempt or a task failed: a closed set with short stable names, stored as text so
/// reports can group by them.
public struct ErrorKind: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    private init(_ rawValue: String) { self.rawValue = rawValue }

    public init?(rawValue: String) {
        guard let kind = Self.all.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = kind
    }

    /// 401 or 403: a bad token, or one without the Voice scope.
    public static let unauthorized = ErrorKind("unauthorized")
    /// 422: the API rejected the body; its `detail` is kept.
    public static let validation = ErrorKind("validation")
    /// 429.
    public static let rateLimited = ErrorKind("rate_limited")
    /// 5xx.
    public static let server = ErrorKind("server")
    /// No answer before the request's deadline.
    public static let timeout = ErrorKind("timeout")
    /// The connection could not be made or was dropped.
    public static let network = ErrorKind("network")
    /// An answer fleet does not understand: an unexpected status or body.
    public static let `protocol` = ErrorKind("protocol")
    /// The template could not be filled for the project.
    public static let render = ErrorKind("render")

    public static let all: [ErrorKind] = [.unauthorized, .validation, .rateLimited, .server, .timeout, .network, .protocol, .render]

    /// Kinds worth another attempt; the others fail the task at once.
    public var isRetryable: Bool { self == .rateLimited || self == .server || self == .timeout || self == .network }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let kind = ErrorKind(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown error kind \(text)"))
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// One failed HTTP attempt, classified.
public struct RequestFailure: Error, Sendable, Equatable {
    public var kind: ErrorKind
    public var httpStatus: Int?
    /// A short message safe to store and print: never the token.
    public var message: String
    /// The server's Retry-After, when it sent one.
    public var retryAfter: Duration?

    public init(kind: ErrorKind, httpStatus: Int? = nil, message: String, retryAfter: Duration? = nil) {
        self.kind = kind
        self.httpStatus = httpStatus
        self.message = message
        self.retryAfter = retryAfter
    }
}
