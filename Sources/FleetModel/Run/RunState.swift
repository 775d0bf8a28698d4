import Foundation

package enum RunState: String, Sendable, Codable {
    case running, finished, halted, interrupted
}
