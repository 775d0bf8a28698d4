import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@Suite struct SimulateCommandTests {
    @Test func simulateServesTheInventoryUntilCtrlCAndLogsNoToken() async throws {
        // Given `fleet simulate` on a free port with the accounts of a CSV and a request log
        let directory = try TemporaryDirectory()
        let projects = TestProject.make(3)
        let accounts = try directory.write("accounts.csv", TestProject.csv(projects))
        let (process, out, err) = try FleetBinary.start([
            "simulate", "--port", "0", "--accounts", accounts, "--log", directory.file("log.jsonl"),
        ])
        let banner = await FleetBinary.read(out, until: "(Ctrl-C stops)")
        let apiBase = try #require(banner.split(separator: "'").dropFirst().first.map(String.init))
        #expect(banner.hasPrefix("simulating the SignalWire SIP-profile API for 3 projects in 3 spaces on 127.0.0.1:"))

        // When fleet rolls out against it, then Ctrl-C stops it
        let fixture = try Fixture(projects: projects)
        let template = try directory.write("t.json", secureTemplate)
        let rollout = try await FleetBinary.run([
            "rollout", "--yes", template, "--quiet", "--db", fixture.database.path, "--api-base", apiBase,
        ])
        kill(process.processIdentifier, SIGINT)
        let stopped = await FleetBinary.collect(process, out, err)

        // Then the rollout succeeded, the simulator shut down cleanly, and its log names requests, not tokens
        #expect(rollout.status == 0, "\(rollout.output)")
        #expect(stopped.status == 0)
        #expect(
            stopped.stderr.contains("fleet: simulator stopped after 6 requests (6 HTTP/1.1) on "), "\(stopped.stderr)")
        #expect(stopped.stderr.hasSuffix(" connections; 0 answered 429.\n"))
        let log = try String(contentsOfFile: directory.file("log.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 6)
        #expect(projects.allSatisfy { !log.contains($0.token) && log.contains($0.projectID) })
    }

    @Test func simulateTakesItsAccountsFromAFleetDatabase() async throws {
        let projects = TestProject.make(2)
        let fixture = try Fixture(projects: projects)

        let accounts = try SimulatorAccounts.fromDatabase(fixture.database, vault: TokenVault(keyBytes: nil))

        #expect(
            accounts.tokens == Dictionary(uniqueKeysWithValues: projects.map { ($0.space, [$0.projectID: $0.token]) }))
    }
}
