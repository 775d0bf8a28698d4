import Foundation

/// The credentials of one project, opened from the inventory for the length of a run.
public struct Credentials: Sendable {
    public let projectID: String
    public let token: String
    /// The Authorization header, built once: a task sends it with every attempt.
    public let authorization: String
    private let scrubber: TokenScrubber

    public init(projectID: String, token: String) {
        self.projectID = projectID
        self.token = token
        authorization = "Basic " + Data("\(projectID):\(token)".utf8).base64EncodedString()
        scrubber = TokenScrubber(token: token)
    }

    /// Text from outside made safe to keep and print: the token removed in any form it came in,
    /// control characters escaped, and then cut to `limit` characters.
    public func scrub(_ text: String, limit: Int = 500) -> String {
        let safe = scrubber.scrub(text).escapingControlCharacters
        return safe.utf8.count > limit && safe.count > limit ? String(safe.prefix(limit)) + "…" : safe
    }

    /// A profile's JSON as received, with any echo of the token masked (it is stored and shown).
    func scrubProfile(_ json: String) -> String {
        scrubber.scrub(json)
    }
}
