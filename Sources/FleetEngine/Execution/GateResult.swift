import FleetModel
import Foundation
import Synchronization

/// How a gate command ended.
package struct GateResult: Sendable, Equatable {
    /// Its exit status (128 + N when killed by signal N).
    package var status: Int32
    /// Its last line of output (at most `GateOutput.lineLimit` bytes, its end), kept as the halt reason.
    package var lastLine: String
    package var timedOut: Bool

    package init(status: Int32, lastLine: String, timedOut: Bool = false) {
        self.status = status
        self.lastLine = lastLine
        self.timedOut = timedOut
    }

    package var passed: Bool { status == 0 && !timedOut }
}
