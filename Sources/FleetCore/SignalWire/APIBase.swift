import Foundation

/// Where each space's API lives: a URL with `{space}` in it, by default
/// `https://{space}.signalwire.com/api/relay/rest`.
public struct APIBase: Sendable, Equatable {
    public static let defaultTemplate = "https://{space}.signalwire.com/api/relay/rest"
    public let template: String

    /// Checks the loopback rule: plain http only for 127.0.0.0/8, ::1 and localhost.
    public init(_ template: String) throws {
        let trimmed = template.hasSuffix("/") ? String(template.dropLast()) : template
        guard trimmed.contains("{space}") else {
            throw FleetError.usage("--api-base \(template) has no {space}; each space's credentials must go only to that space's own URL, as in \(Self.defaultTemplate).")
        }
        let sample = trimmed.replacingOccurrences(of: "{space}", with: "example")
        guard let components = URLComponents(string: sample), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw FleetError.usage("--api-base \(template) is not a URL; use one like \(Self.defaultTemplate).")
        }
        switch scheme {
        case "https": break
        case "http":
            guard Self.isLoopback(host) else {
                throw FleetError.usage("--api-base \(template) uses plain http for \(host); plain http is allowed only for 127.0.0.1, ::1 and localhost. Use https.")
            }
        default:
            throw FleetError.usage("--api-base \(template) must be an https URL (or http on loopback).")
        }
        self.template = trimmed
    }

    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The SIP-profile URL of `space`.
    public func profileURL(space: String) -> String {
        template.replacingOccurrences(of: "{space}", with: space) + "/sip_profile"
    }
}
