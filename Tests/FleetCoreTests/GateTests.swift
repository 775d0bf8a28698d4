import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// The real gate runner with real shells: its time limit holds against a gate that sleeps, forks,
/// ignores SIGTERM or never exits; its output is kept to a bounded tail; it starts with a clean
/// signal state; a cancelled run (a second Ctrl-C) kills it.
@Suite struct GateTests {
    func run(_ command: String, timeout: Duration = .seconds(2)) async -> GateResult {
        await ShellGate(output: { _ in }).run(command, environment: ["FLEET_WAVE": "1"], timeout: timeout)
    }

    @Test(.timeLimit(.minutes(1)))
    func aGateThatOutlivesItsTimeLimitIsStoppedAtIt() async {
        let result = await run("sleep 30; true")

        #expect(result.timedOut)
        #expect(result.status == 128 + SIGTERM)
        #expect(!result.passed)
    }

    @Test(.timeLimit(.minutes(1)))
    func aGateThatIgnoresSIGTERMIsKilled() async {
        let result = await run("trap '' TERM; echo ignoring; sleep 1000", timeout: .seconds(1))

        #expect(result.timedOut)
        #expect(result.status == 128 + SIGKILL)
        #expect(result.lastLine == "ignoring")
    }

    @Test(.timeLimit(.minutes(1)))
    func aGateThatLeavesAChildHoldingItsOutputEndsWhenItsShellDoes() async {
        let result = await run("(sleep 1000 &); echo checked; exit 0", timeout: .seconds(600))

        #expect(result.passed)
        #expect(result.lastLine == "checked")
    }

    @Test(.timeLimit(.minutes(1)))
    func fiftyMegabytesOfOutputKeepABoundedTail() async {
        let result = await run(
            "head -c 50000000 /dev/zero; echo; head -c 100000 /dev/zero | tr '\\0' y", timeout: .seconds(120))

        #expect(result.passed)
        #expect(result.lastLine.utf8.count == 64 * 1024)
        #expect(result.lastLine.allSatisfy { $0 == "y" })
    }

    @Test func aGateStartsWithNoBlockedOrIgnoredSignals() async {
        // fleet blocks HUP, INT, TERM and ignores PIPE for itself (as this test process now
        // does); a gate must not inherit that
        signal(SIGPIPE, SIG_IGN)
        let blocked = await run("grep SigBlk /proc/self/status")
        let ignored = await run("grep SigIgn /proc/self/status")
        let pipe = await run("yes | head -1; echo done")

        // (the classic signals 1 to 31; the C library keeps two real-time signals of its own)
        func classic(_ line: String) -> UInt64? {
            UInt64(line.split(separator: "\t").last ?? "", radix: 16).map { $0 & 0x7fff_ffff }
        }
        #expect(blocked.lastLine.hasPrefix("SigBlk:"))
        #expect(classic(blocked.lastLine) == 0)
        #expect(ignored.lastLine.hasPrefix("SigIgn:"))
        #expect(classic(ignored.lastLine) == 0)
        #expect(pipe.lastLine == "done")
    }

    @Test(.timeLimit(.minutes(1)))
    func aCancelledRunKillsItsGateAndItsChildren() async {
        let lines = Mutex<[String]>([])
        let started = AsyncStream<Void>.makeStream()
        let gate = ShellGate(output: { line in
            lines.withLock { $0.append(line) }
            started.continuation.yield()
        })
        let task = Task { await gate.run("sleep 1000 & echo started; wait", environment: [:], timeout: .seconds(600)) }
        for await _ in started.stream { break }

        task.cancel()
        let result = await task.value

        #expect(result.status == 128 + SIGTERM)
        #expect(lines.withLock { $0 } == ["started"])
    }

    @Test func aGateProgramThatDoesNotExistIsRefusedBeforeTheFirstRequest() async throws {
        let projects = TestProject.make(4)
        let fixture = try Fixture(projects: projects)
        let simulator = try fixture.simulator()
        let template = try Template(name: "t.json", text: secureTemplate)

        for (gate, message) in [
            ("./nothere.sh --wave 1", "the --gate program ./nothere.sh does not exist"),
            ("no-such-check-calls", "the --gate program no-such-check-calls is not found in PATH"),
        ] {
            await #expect {
                try await fixture.session(simulator).rollout(
                    template, options: testOptions { ($0.canary, $0.gate) = (2, gate) })
            } throws: {
                ($0 as? FleetError)?.status == .usage && ($0 as? FleetError)?.message.hasPrefix(message) == true
            }
        }
        for gate in ["true", "FLEET_X=1 sh -c 'exit 0'", "[ \"$FLEET_WAVE\" -lt 2 ]", "/bin/sh ./x"] {
            #expect(throws: Never.self) {
                try ShellGate.checkProgram(of: gate, option: "--gate", environment: ["PATH": "/usr/bin:/bin"])
            }
        }
        #expect(simulator.statistics.total == 0)
        #expect(try fixture.database.scalar("SELECT count(*) FROM runs") == 0)
    }
}
