import Foundation

/// Where each space's API lives: a URL with `{space}` in it, by default
/// `https://{space}.signalwire.com/api/relay/rest`. `{space}` must be a whole label of the host
/// name, so a project's credentials only ever go to its own space's host; on a loopback host it
/// may instead be a whole path segment (the simulator). Plain http only on loopback; no user-info,
/// query or fragment; a port within 1…65535.
package struct APIBase: Sendable, Equatable, CustomStringConvertible {
    package static let defaultTemplate = "https://{space}.signalwire.com/api/relay/rest"
    package let template: String
    package let isHTTPS: Bool
    /// The template around `{space}`, for the profile URL and for the host: split once here,
    /// since every request asks for both.
    private let urlParts: [String]
    private let hostParts: [String]

    private static let marker = "fleetspacemarker"

    package init(_ template: String) throws {
        let trimmed = template.hasSuffix("/") ? String(template.dropLast()) : template
        func refuse(_ reason: String) -> FleetError {
            .usage("--api-base \(template) \(reason); use a URL like \(Self.defaultTemplate).")
        }
        let parts = trimmed.components(separatedBy: "{space}")
        guard parts.count == 2 else {
            throw refuse(
                parts.count == 1
                    ? "has no {space}, so every space's credentials would go to one URL"
                    : "has {space} more than once")
        }
        guard let components = URLComponents(string: trimmed.replacingOccurrences(of: "{space}", with: Self.marker)),
            let scheme = components.scheme?.lowercased(), let host = components.host?.lowercased(), !host.isEmpty
        else {
            throw refuse("is not a URL")
        }
        if components.user != nil || components.password != nil {
            throw refuse("has user-info (user@host); credentials go in the inventory only")
        }
        if components.query != nil || components.fragment != nil { throw refuse("has a query or a fragment") }
        if let port = components.port, !(1...65535).contains(port) { throw refuse("has port \(port), outside 1…65535") }
        let loopback = Self.isLoopback(host)
        if let problem = Self.placementProblem(host: host, path: components.path, loopback: loopback) {
            throw refuse(problem)
        }
        isHTTPS = try Self.isHTTPS(scheme: scheme, host: host, loopback: loopback, template: template, refuse: refuse)
        self.template = trimmed
        urlParts = [parts[0], parts[1] + "/sip_profile"]
        let hostName = components.host ?? host
        hostParts = (components.port.map { "\(hostName):\($0)" } ?? hostName).components(separatedBy: Self.marker)
    }

    /// https anywhere, plain http only on loopback.
    private static func isHTTPS(
        scheme: String, host: String, loopback: Bool, template: String, refuse: (String) -> FleetError
    ) throws -> Bool {
        switch scheme {
        case "https":
            return true
        case "http":
            guard loopback else {
                throw FleetError.usage(
                    "--api-base \(template) uses plain http for \(host.replacingOccurrences(of: marker, with: "{space}")); plain http is allowed only for 127.0.0.1, ::1 and localhost. Use https."
                )
            }
            return false
        default:
            throw refuse("must be an https URL (or http on loopback)")
        }
    }

    /// Why `{space}` (the marker) is not where it may be, or nil: a whole label of the host name,
    /// or on a loopback host a whole path segment.
    private static func placementProblem(host: String, path: String, loopback: Bool) -> String? {
        if host.contains(marker) {
            return host.split(separator: ".", omittingEmptySubsequences: false).contains(Substring(marker))
                ? nil : "has {space} inside a host label; it must be a whole label, as in {space}.example.com"
        }
        guard loopback else {
            return
                "has {space} outside the host name; on a host other than loopback it must be a label of the host name"
        }
        return path.split(separator: "/").contains(Substring(marker))
            ? nil : "has {space} inside a path segment; it must be a whole segment, as in /{space}/api"
    }

    package static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The SIP-profile URL of `space`.
    package func profileURL(space: String) -> String {
        urlParts.joined(separator: space)
    }

    /// The host (and port, when given) that `space`'s requests go to, for messages and the
    /// circuit breaker: in production each space is its own host.
    package func host(space: String) -> String {
        hostParts.joined(separator: space)
    }

    package var description: String { template }

    package static func == (lhs: APIBase, rhs: APIBase) -> Bool { lhs.template == rhs.template }
}
