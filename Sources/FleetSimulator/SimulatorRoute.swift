/// Which space a request is for: `/{space}/api/relay/rest/sip_profile`, or
/// `/api/relay/rest/sip_profile` with the space the first label of the Host header
/// (`acme.signalwire.com` → `acme`). Shared by the HTTP server and the in-process transport.
enum SimulatorRoute: Equatable {
    /// The profile resource; a nil space (no usable Host) is answered 404 by the simulator.
    case profile(space: String?)
    case notFound

    static let suffix = "/api/relay/rest/sip_profile"

    init(path: String, authority: String?) {
        if path == Self.suffix {
            let host = authority?.split(separator: ":").first.map(String.init)
            self = .profile(space: host?.split(separator: ".").first.map { $0.lowercased() })
        } else if path.hasSuffix(Self.suffix) {
            let prefix = path.dropFirst().dropLast(Self.suffix.count)
            self = !prefix.isEmpty && !prefix.contains("/") ? .profile(space: prefix.lowercased()) : .notFound
        } else {
            self = .notFound
        }
    }
}
