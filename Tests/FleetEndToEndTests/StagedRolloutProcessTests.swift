import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// Staged rollouts through the binary: a failing wave, a gate that says no, the automatic
/// rollback, and Ctrl-C during a bake.
@Suite struct StagedRolloutProcessTests {
    @Test func aFailingWaveHaltsTheRunAndRollbackOnHaltRestoresEveryProfile() async throws {
        // Given 300 projects and a revoked token in the second wave (10% … 50%)
        let projects = TestProject.make(300)
        let fixture = try Fixture(projects: projects)
        let template = try fixture.directory.write("profile.json", secureTemplate)
        let order = FleetSessionOrder.positions(projects)
        var faults = SimulatorConfiguration()
        faults.revoked = [order[100].projectID]
        try await withSimulator(projects, faults) { simulator, apiBase in
            let originals = projects.map { simulator.profile(space: $0.space, projectID: $0.projectID) }

            let result = try await FleetBinary.run([
                "rollout", "--yes", template, "--waves", "10%,50%,100%", "--rollback-on-halt", "--rate", "10000",
                "--concurrency", "16", "--quiet", "--db", fixture.database.path, "--api-base", apiBase,
            ])

            // Then the run halted after wave 2, wave 3's projects were never requested, and the
            // rollback run put every profile back as it was
            #expect(result.status == 1)
            #expect(
                result.stderr.contains("fleet: run 1 halted by wave 2 of 3: 1 of 120 projects failed;"),
                "\(result.stderr)")
            #expect(order[150...].allSatisfy { simulator.requests(project: $0.projectID, method: "GET") == 0 })
            #expect(projects.map { simulator.profile(space: $0.space, projectID: $0.projectID) } == originals)
            #expect(result.stdout.contains("run 2: rollback of run 1"))
            let runs = try await FleetBinary.run(["runs", "--db", fixture.database.path])
            #expect(runs.stdout.contains("rollback of 1"))
        }
    }

    @Test func aGateThatExits1HaltsTheRunWithItsLastLine() async throws {
        let projects = TestProject.make(20)
        let fixture = try Fixture(projects: projects)
        let template = try fixture.directory.write("profile.json", secureTemplate)
        try await withSimulator(projects) { simulator, apiBase in
            let gate =
                "echo \"checking wave $FLEET_WAVE of run $FLEET_RUN: $FLEET_WAVE_SUCCEEDED succeeded\"; echo 'MOS fell to 3.2 in acme'; exit 1"

            let result = try await FleetBinary.run([
                "rollout", "--yes", template, "--waves", "5,100%", "--gate", gate, "--quiet",
                "--db", fixture.database.path, "--api-base", apiBase,
            ])

            #expect(result.status == 1)
            #expect(result.stderr.contains("checking wave 1 of run 1: 5 succeeded\nMOS fell to 3.2 in acme\n"))
            #expect(
                result.stderr.contains(
                    "fleet: run 1 halted by the gate after wave 1 exited 1: MOS fell to 3.2 in acme;"))
            #expect(result.stdout.contains("halted by the gate after wave 1 exited 1: MOS fell to 3.2 in acme"))
            #expect(simulator.statistics.total == 10)
        }
    }

    @Test func ctrlCDuringTheBakeThenRetryFinishesTheRemainingWaves() async throws {
        let projects = TestProject.make(20)
        let fixture = try Fixture(projects: projects)
        let template = try fixture.directory.write("profile.json", secureTemplate)
        try await withSimulator(projects) { simulator, apiBase in
            let options = ["--db", fixture.database.path, "--api-base", apiBase, "--quiet"]
            let (process, out, err) = try FleetBinary.start(
                ["rollout", "--yes", template, "--waves", "5,100%", "--bake", "1s"] + options)
            let said = await FleetBinary.read(err, until: "before the next wave.") {
                kill(process.processIdentifier, SIGINT)
            }
            #expect(said.contains("fleet: wave 1 done; baking until "))
            let interrupted = await FleetBinary.collect(process, out, err)
            #expect(interrupted.status == 1)
            #expect(simulator.statistics.total == 10)

            let retry = try await FleetBinary.run(["retry", "--yes"] + options)

            #expect(retry.status == 0, "\(retry.output)")
            #expect(
                projects.allSatisfy { simulator.profile(space: $0.space, projectID: $0.projectID) == $0.secureProfile })
            #expect(try fixture.database.column("SELECT state FROM waves ORDER BY number") == ["passed", "passed"])
        }
    }
}

/// The order a run gives projects: the first of each space, then the second of each, … (spaces
/// in inventory order), as `FleetSession` does.
enum FleetSessionOrder {
    static func positions(_ projects: [TestProject]) -> [TestProject] {
        let sorted = projects.sorted { ($0.space, $0.projectID) < ($1.space, $1.projectID) }
        var rank: [String: Int] = [:]
        let ranked = sorted.map { project -> (Int, TestProject) in
            defer { rank[project.space, default: 0] += 1 }
            return (rank[project.space, default: 0], project)
        }
        return ranked.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
    }
}
