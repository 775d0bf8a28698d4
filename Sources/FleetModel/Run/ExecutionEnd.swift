import Foundation

/// How an execution (or one wave of it) ended.
package enum ExecutionEnd: Sendable, Equatable {
    case finished
    /// By a wave's failures, --max-failures, a gate or the circuit breaker; the reason says which.
    case halted(String)
    /// By Ctrl-C.
    case interrupted
}
