import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import GRDB
import Testing

/// What only a process can show: closed pipes, signals against a stalling server, two processes
/// on the same projects, and a database this user can only read.
@Suite struct ProcessHardeningTests {
    @Test func aClosedStdoutAndStderrNeitherCrashNorStopARun() async throws {
        let projects = TestProject.make(60)
        let fixture = try Fixture(projects: projects)
        let template = try fixture.directory.write("profile.json", secureTemplate)
        var faults = SimulatorConfiguration()
        faults.latency = .milliseconds(5)
        try await withSimulator(projects, faults) { simulator, apiBase in
            // Given a rollout whose stdout and stderr are pipes nobody reads (`2>&1 >/dev/null | true`)
            let (process, out, err) = try FleetBinary.start([
                "rollout", "--yes", template, "--db", fixture.database.path, "--api-base", apiBase,
            ])
            try out.fileHandleForReading.close()
            try err.fileHandleForReading.close()
            await FleetBinary.waitForExit(process)

            // Then it ran to the end, exit 0, every project done
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)
            #expect(try fixture.database.taskStates(run: 1) == ["succeeded": 60])
            #expect(
                projects.allSatisfy { simulator.profile(space: $0.space, projectID: $0.projectID) == $0.secureProfile })

            // And a report piped into a reader that stops at once (`fleet status | head -1`) ends cleanly
            let (status, statusOut, statusErr) = try FleetBinary.start(["status", "--db", fixture.database.path])
            try statusOut.fileHandleForReading.close()
            await FleetBinary.waitForExit(status)
            _ = statusErr
            #expect(status.terminationReason == .exit)
            #expect(status.terminationStatus == 0)
        }
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
    func aTerminalThatCannotMoveTheCursorGetsNoEscapes() async throws {
        let projects = TestProject.make(8)
        let fixture = try Fixture(projects: projects)
        let template = try fixture.directory.write("profile.json", secureTemplate)
        try await withSimulator(projects) { _, apiBase in
            // On a terminal (a pseudo-terminal made by script(1)), as TERM says
            func rollout(term: String) async throws -> String {
                let command = [
                    FleetBinary.path, "rollout", template, "--force", "--yes", "--db", fixture.database.path,
                    "--api-base", apiBase,
                ]
                .map(ShellWord.quote).joined(separator: " ")
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
                process.arguments = ["-qec", command, "/dev/null"]
                process.environment = ["TERM": term, "PATH": "/usr/bin:/bin"]
                let out = Pipe()
                (process.standardOutput, process.standardError, process.standardInput) = (
                    out, out, FileHandle.nullDevice
                )
                try process.run()
                // Read on a thread of its own: the in-process simulator needs the cooperative pool.
                let data = await withCheckedContinuation { continuation in
                    Thread {
                        let data = out.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        continuation.resume(returning: data)
                    }.start()
                }
                return String(decoding: data, as: UTF8.self)
            }
            let capable = try await rollout(term: "xterm")
            let dumb = try await rollout(term: "dumb")

            #expect(capable.contains("\u{1B}[K"), "the progress line redraws in place on a capable terminal")
            #expect(dumb.contains("run 2: rollout of"), "\(dumb)")
            #expect(!dumb.contains("\u{1B}"), "\(dumb)")
        }
    }

    /// A started process, to carry from one server's lifetime to the next.
    final class Started: @unchecked Sendable {
        let process: Process, out: Pipe, err: Pipe
        init(_ started: (Process, Pipe, Pipe)) { (process, out, err) = started }
    }

    @Test(.timeLimit(.minutes(1)))
    func aSimulatorStoppedAndRestartedOnTheSamePortMidRunFailsNoProject() async throws {
        let projects = TestProject.make(400)
        let fixture = try Fixture(projects: projects)
        let template = try fixture.directory.write("profile.json", secureTemplate)
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(20)
        let simulator = try SignalWireSimulator(accounts: TestProject.accounts(projects), configuration: configuration)

        // Given a rollout under way when the simulator stops listening and drops every connection
        // for 3 s, then serves again on the same port
        let (port, started) = try await SimulatorServer(simulator: simulator).withRunning { apiBase in
            let started = Started(
                try FleetBinary.start([
                    "rollout", template, "--yes", "--quiet", "--db", fixture.database.path, "--api-base", apiBase,
                    "--concurrency", "8", "--timeout", "2",
                ]))
            await FleetBinary.wait(for: 200, at: simulator, orExitOf: started.process) {
                simulator.goDown(for: .seconds(3))
            }
            return (Int(apiBase.split(separator: ":")[2].prefix { $0.isNumber })!, started)
        }
        let result = try await SimulatorServer(simulator: simulator).withRunning(port: port) { _ in
            await FleetBinary.collect(started.process, started.out, started.err)
        }

        // Then the space was paused and probed until it answered: no project failed
        #expect(result.status == 0, "\(result.output)")
        #expect(try fixture.database.taskStates(run: 1) == ["succeeded": 400])
        #expect(try fixture.database.scalar("SELECT count(*) FROM attempts WHERE error_kind = 'network'") ?? 0 >= 8)
        #expect(projects.allSatisfy { simulator.profile(space: $0.space, projectID: $0.projectID) == $0.secureProfile })
    }

    @Test(.timeLimit(.minutes(1)))
    func sigtermStopsARunWhoseServerStallsEveryBody() async throws {
        let server = HostileServer()
        try await server.run { apiBase in
            let projects = TestProject.make(3, spaces: 1).map {
                var project = $0
                project.space = "stall"
                return project
            }
            let fixture = try Fixture(projects: projects)
            let template = try fixture.directory.write("profile.json", secureTemplate)

            // Given a rollout stuck in bodies that never end
            let (process, out, err) = try FleetBinary.start([
                "rollout", "--yes", template, "--db", fixture.database.path, "--api-base", apiBase,
                "--timeout", "1", "--quiet",
            ])
            // When it gets SIGTERM once, as the third request arrives
            await server.waitForRequests(3) { kill(process.processIdentifier, SIGTERM) }
            let result = await FleetBinary.collect(process, out, err)

            // Then the requests in flight end at their deadline, the run is interrupted, exit 1
            #expect(result.status == 1)
            #expect(result.stderr.contains("fleet: run 1 was interrupted;"))
            #expect(try fixture.database.scalar("SELECT state FROM runs") == "interrupted")
            // (At least 3: on a loaded machine a first attempt can reach its 1 s deadline, and be
            // retried, before the third request arrives.)
            let timeouts: Int =
                try fixture.database.scalar(
                    "SELECT count(*) FROM attempts WHERE error_kind = 'timeout' AND http_status IS NULL") ?? 0
            let attempts: Int = try fixture.database.scalar("SELECT count(*) FROM attempts") ?? 0
            #expect(timeouts >= 3 && timeouts == attempts, "\(timeouts) timeouts of \(attempts) attempts")
        }
    }

    @Test func aProjectIsNeverInTwoExecutingRuns() async throws {
        let projects = TestProject.make(6)
        let fixture = try Fixture(projects: projects)
        let template = try fixture.directory.write("profile.json", secureTemplate)
        try await withSimulator(projects, TestProject.hanging) { simulator, apiBase in
            // Given run 1 executing in another process
            let (process, out, err) = try FleetBinary.start([
                "rollout", "--yes", template, "--db", fixture.database.path, "--api-base", apiBase, "--quiet",
            ])
            await FleetBinary.wait(for: 6, at: simulator, orExitOf: process)

            // When a second rollout of some of the same projects starts
            let second = try await FleetBinary.run([
                "rollout", "--yes", template, "--db", fixture.database.path, "--api-base", apiBase, "--quiet",
                "--space", projects[1].space,
            ])
            kill(process.processIdentifier, SIGKILL)
            _ = await FleetBinary.collect(process, out, err)

            // Then it is refused, names run 1, and records nothing of its own
            #expect(second.status == 1)
            #expect(
                second.stderr.contains(
                    "is in run 1, which another fleet process is executing; a project is never in two executing runs at once."
                ))
            #expect(try fixture.database.scalar("SELECT count(*) FROM runs") == 1)
        }
    }

    @Test(.enabled(if: getuid() == 0, "needs root to run fleet as another user"))
    func aDatabaseThisUserCanOnlyReadServesEveryReadingCommand() async throws {
        // Given a database in a folder of root's that `nobody` may read but not write
        let projects = TestProject.make(4)
        let fixture = try Fixture(projects: projects)
        try await withSimulator(projects) { _, apiBase in
            let template = try fixture.directory.write("profile.json", secureTemplate)
            #expect(
                try await FleetBinary.run([
                    "rollout", "--yes", template, "--db", fixture.database.path, "--api-base", apiBase, "--quiet",
                ]).status == 0)
        }
        chmod(fixture.directory.path, 0o755)
        chmod(fixture.database.path, 0o644)
        try await fixture.database.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        try fixture.database.writer.close()
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: fixture.database.path + suffix) }
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.database.path))

        // When status, runs and projects run as `nobody`
        var results: [CommandResult] = []
        for arguments in [["status"], ["status", "--json"], ["runs"], ["projects"]] {
            results.append(try await FleetBinary.run(arguments + ["--db", fixture.database.path], asUser: 65534))
        }

        // Then each works, and the file is as it was
        #expect(results.map(\.status) == [0, 0, 0, 0], "\(results.map(\.stderr))")
        #expect(results[3].stdout.contains("4 projects"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.database.path)) == before)
    }
}
