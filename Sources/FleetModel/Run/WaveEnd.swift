import Foundation

/// Where a wave of a staged rollout ends: after a number of projects, or a share of them;
/// cumulative, as in `--waves 10,10%,50%,100%`.
package enum WaveEnd: Sendable, Equatable, Codable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// Parses `--waves`: comma-separated counts and shares.
    package static func parseList(_ text: String) -> [WaveEnd]? {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let ends = items.map { item -> WaveEnd? in
            if item.hasSuffix("%") {
                guard let share = Double(item.dropLast()), share.isFinite, share > 0, share <= 100 else { return nil }
                return .percent(share)
            }
            guard let count = Int(item), count >= 1 else { return nil }
            return .count(count)
        }
        guard !ends.isEmpty, ends.allSatisfy({ $0 != nil }) else { return nil }
        return ends.compactMap { $0 }
    }

    /// The wave ends as task positions (exclusive) for a run of `total` tasks: ends that do not
    /// move past the one before are dropped, and the last wave always reaches `total`.
    package static func positions(_ ends: [WaveEnd], total: Int) -> [Int] {
        var positions: [Int] = []
        for end in ends {
            let position: Int =
                switch end {
                case .count(let count): min(count, total)
                case .percent(let share): min(total, Int((Double(total) * share / 100).rounded(.up)))
                }
            if position > (positions.last ?? 0) { positions.append(position) }
        }
        if (positions.last ?? 0) < total { positions.append(total) }
        return positions
    }

    package var description: String {
        switch self {
        case .count(let count): "\(count)"
        case .percent(let share): share == share.rounded() ? "\(Int(share))%" : "\(share)%"
        }
    }
}
