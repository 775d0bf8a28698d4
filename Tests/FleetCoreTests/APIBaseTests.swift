import FleetTestSupport
import Foundation
import Testing

@testable import FleetCore
@testable import FleetEngine
@testable import FleetModel
@testable import FleetStore

/// Where a space's API lives, and where plain HTTP is allowed.
@Suite struct APIBaseTests {
    @Test func apiBaseAllowsPlainHTTPOnlyOnLoopback() throws {
        #expect(throws: Never.self) { try APIBase("http://127.0.0.1:8080/{space}/api/relay/rest") }
        #expect(throws: Never.self) { try APIBase("http://localhost/{space}") }
        #expect(throws: Never.self) { try APIBase("http://[::1]:9/{space}") }
        #expect(throws: Never.self) { try APIBase("https://{space}.signalwire.com/api/relay/rest") }
        #expect(throws: FleetError.self) { try APIBase("http://10.0.0.1/{space}") }
        #expect(throws: FleetError.self) { try APIBase("http://{space}.signalwire.com/api/relay/rest") }
        #expect(throws: FleetError.self) { try APIBase("https://api.example.com/rest") }
        #expect(
            try APIBase("https://{space}.signalwire.com/api/relay/rest/").profileURL(space: "acme")
                == "https://acme.signalwire.com/api/relay/rest/sip_profile")
        #expect(
            try APIBase("https://{space}.signalwire.com/api/relay/rest").host(space: "acme") == "acme.signalwire.com")
        #expect(try APIBase("https://{space}.example.com:8443/api").host(space: "acme") == "acme.example.com:8443")
        #expect(try APIBase("http://127.0.0.1:8080/{space}/api/relay/rest").host(space: "acme") == "127.0.0.1:8080")
        #expect(
            try APIBase("http://127.0.0.1:8080/{space}/api/relay/rest").profileURL(space: "acme")
                == "http://127.0.0.1:8080/acme/api/relay/rest/sip_profile")
    }
}
