import FleetTestSupport
import Foundation
import Testing

@testable import FleetCore
@testable import FleetEngine
@testable import FleetModel
@testable import FleetStore

/// Tokens masked for output, sealed with FLEET_KEY and opened only with it.
@Suite struct TokenVaultTests {
    @Test func tokensAreMaskedAndSealedTokensOpenOnlyWithTheirKey() throws {
        #expect(Credentials.mask("PT0123456789abcdef0123456789abcdef0123456789ab1a2b") == "PT…1a2b")
        #expect(Credentials.mask("short") == "…")
        let vault = TokenVault(keyBytes: Data(repeating: 7, count: 32))
        let sealed = try vault.seal("PTsecret")
        #expect(!sealed.contains("PTsecret"))
        #expect(try vault.open(sealed, project: "p") == "PTsecret")
        #expect(throws: FleetError.self) {
            try TokenVault(keyBytes: Data(repeating: 8, count: 32)).open(sealed, project: "p")
        }
        #expect(throws: FleetError.self) { try TokenVault(keyBytes: nil).open(sealed, project: "p") }
        #expect(throws: FleetError.self) { try TokenVault.fromEnvironment(["FLEET_KEY": "tooshort"]) }
    }
}
