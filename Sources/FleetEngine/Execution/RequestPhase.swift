import FleetModel
import Foundation

/// Which request of a task comes next: read the profile, or write the merged one.
package enum RequestPhase: Sendable, Equatable {
    case read
    case write(SipProfile)

    var verb: HTTPVerb {
        if case .read = self { .get } else { .put }
    }
}
