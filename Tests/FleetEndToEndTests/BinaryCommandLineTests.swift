import FleetTestSupport
import Foundation
import Testing

/// The binary reads its command line as the in-process tests do.
@Suite struct BinaryCommandLineTests {
    @Test func theBinarySuggestsTheCommandAndShowsASubcommandsHelp() async throws {
        let typo = try await FleetBinary.run(["rollot", "x.json"])
        let help = try await FleetBinary.run(["status", "--help"])
        let version = try await FleetBinary.run(["--version"])

        #expect(typo.status == 64)
        #expect(typo.stderr == "fleet: there is no command rollot; did you mean `fleet rollout x.json`?\n")
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("OVERVIEW: Report a run (default: the latest)."), "\(help.stdout)")
        #expect(version.stdout.hasPrefix("0."))
    }
}
