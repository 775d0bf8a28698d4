import FleetEngine
import Foundation
import Testing

@testable import fleet

/// The progress line keeps what matters when the terminal is narrow, names what is paused, and
/// says it is draining after Ctrl-C.
@Suite struct ProgressLineTests {
    static var paused: RunProgress.Counts {
        var counts = RunProgress.Counts()
        (counts.total, counts.succeeded, counts.failed, counts.requests) = (3000, 1000, 3, 2100)
        (counts.pausedSpaces, counts.pausedNames) = (2, ["cust07", "cust12"])
        (counts.stoppedSpaces, counts.stoppedNames) = (1, ["cust03"])
        return counts
    }

    @Test func aWideTerminalNamesThePausedAndStoppedSpaces() {
        let line = ProgressLine.render(Self.paused, label: "rollout", elapsed: .seconds(10), width: 200, color: false)

        #expect(line.contains("2 spaces paused (429): cust07, cust12"), "\(line)")
        #expect(line.contains("1 space unreachable: cust03"), "\(line)")
        #expect(line.contains("ETA 19.9 s"), "\(line)")
    }

    @Test func aNarrowTerminalKeepsTheETAOverTheNamesAndTheRate() {
        let line = ProgressLine.render(Self.paused, label: "rollout", elapsed: .seconds(10), width: 80, color: false)

        #expect(line.count <= 79, "\(line)")
        #expect(line.hasPrefix("rollout 1003/3000 · 3 failed · 1000 ok"), "\(line)")
        #expect(line.contains("ETA 19.9 s"), "\(line)")
        #expect(!line.contains("cust07"), "\(line)")
    }

    @Test func afterCtrlCItSaysDrainingInsteadOfAnETA() {
        var counts = Self.paused
        (counts.started, counts.stopping) = (2105, true)

        let line = ProgressLine.render(counts, label: "rollout", elapsed: .seconds(10), width: 200, color: false)

        #expect(line.contains("stopping: draining 5 in flight"), "\(line)")
        #expect(!line.contains("ETA"), "\(line)")
    }
}
