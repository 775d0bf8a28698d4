import Foundation

/// How a task ended in one execution.
package enum TaskOutcome: Sendable, Equatable {
    case succeeded
    case unchanged
    case failed(RequestFailure)
    /// `fleet plan`: the profile read and the one a rollout would write.
    case planned(current: SipProfile, desired: SipProfile)
}
