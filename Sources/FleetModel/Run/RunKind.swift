import Foundation

package enum RunKind: String, Sendable, Codable {
    case rollout, rollback
}
