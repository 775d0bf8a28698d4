import Foundation

/// The credentials of one project, opened from the inventory for the length of a run.
package struct Credentials: Sendable {
    package let projectID: String
    package let token: String
    /// The Authorization header, built once: a task sends it with every attempt.
    package let authorization: String
    private let scrubber: TokenScrubber

    package init(projectID: String, token: String) {
        self.projectID = projectID
        self.token = token
        authorization = "Basic " + Data("\(projectID):\(token)".utf8).base64EncodedString()
        scrubber = TokenScrubber(token: token)
    }

    /// Text from outside made safe to keep and print: the token removed in any form it came in,
    /// control characters escaped, and then cut to `limit` characters.
    package func scrub(_ text: String, limit: Int = 500) -> String {
        let safe = scrubber.scrub(text).escapingControlCharacters
        return safe.utf8.count > limit && safe.count > limit ? String(safe.prefix(limit)) + "…" : safe
    }

    /// A profile's JSON as received, with any echo of the token masked (it is stored and shown).
    package func scrubProfile(_ json: String) -> String {
        scrubber.scrub(json)
    }
}

extension Credentials {
    /// How a token sealed with FLEET_KEY begins as stored.
    package static let sealedPrefix = "aesgcm:"

    /// `PT…1a2b`: enough to tell tokens apart, never enough to use one.
    package static func mask(_ token: String) -> String {
        if token.hasPrefix(sealedPrefix) { return "(sealed)" }
        guard token.count >= 12 else { return "…" }
        return String(token.prefix(2)) + "…" + String(token.suffix(4))
    }
}
