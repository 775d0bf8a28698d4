import Foundation

package enum TaskState: String, Sendable, Codable, CaseIterable {
    case pending, running, succeeded, unchanged, failed

    /// Carried to an end: a retry does not rerun it.
    package var isFinal: Bool { self == .succeeded || self == .unchanged }
}
