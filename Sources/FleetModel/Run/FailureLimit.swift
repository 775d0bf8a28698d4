import Foundation

/// How many failures stop a run from starting more tasks: a count or a share of the tasks.
package enum FailureLimit: Sendable, Equatable, Codable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// Parses `N` or `N%`.
    package init?(argument: String) {
        if argument.hasSuffix("%") {
            guard let value = Double(argument.dropLast()), value.isFinite, value >= 0, value <= 100 else { return nil }
            self = .percent(value)
        } else {
            guard let value = Int(argument), value >= 1 else { return nil }
            self = .count(value)
        }
    }

    /// The number of failures that halts a batch of `total` tasks.
    package func limit(total: Int) -> Int {
        switch self {
        case .count(let count): count
        case .percent(let share): max(1, Int((Double(total) * share / 100).rounded(.up)))
        }
    }

    package var description: String {
        switch self {
        case .count(let count): "\(count)"
        case .percent(let share): share == share.rounded() ? "\(Int(share))%" : "\(share)%"
        }
    }
}
