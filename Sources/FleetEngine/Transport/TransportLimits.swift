import FleetModel
import Foundation

package enum TransportLimits {
    /// Response bodies are read up to this size.
    package static let maxBodyBytes = 1 << 20
}
