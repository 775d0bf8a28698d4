import FleetModel
import Foundation

package enum TransportLimits {
    /// Response bodies are read up to this size.
    package static let maxBodyBytes = 1 << 20
    /// A kept connection idle this long is closed rather than sent on: below the idle timeouts
    /// of common servers and load balancers (60 s and up), so fleet never races one closing it,
    /// nor sends into a connection a middlebox dropped without a word (a wait to the deadline).
    package static let maxIdle: Duration = .seconds(30)
}
