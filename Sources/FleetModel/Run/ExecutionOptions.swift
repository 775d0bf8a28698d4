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

/// The execution options of the README, recorded with the run (and with each execution).
package struct ExecutionOptions: Sendable, Equatable, Codable {
    package var concurrency: Int = 16
    /// The ceiling of each space's adaptive rate, requests per second.
    package var rate: Double = 50
    package var maxAttempts: Int = 5
    package var timeoutSeconds: Double = 30
    /// `--canary N`: the same as waves `N,100%`.
    package var canary: Int?
    package var waves: [WaveEnd]?
    package var maxFailures: FailureLimit?
    /// `--bake`: seconds to wait after each wave but the last.
    package var bakeSeconds: Double?
    /// `--gate`: a shell command run after each wave (and its bake) but the last; exit 0 goes on.
    package var gate: String?
    package var gateTimeoutSeconds: Double = 600
    package var rollbackOnHalt = false
    package var force = false

    package init() {}

    package var timeout: Duration { .milliseconds(Int64(timeoutSeconds * 1000)) }

    /// The wave ends in effect: `--waves`, or `--canary`'s two waves, or one wave of everything.
    package var waveEnds: [WaveEnd] {
        if let waves { return waves }
        if let canary { return [.count(canary), .percent(100)] }
        return [.percent(100)]
    }

    /// Whether the run is staged, so a wave's failures halt it before the next wave.
    package var isStaged: Bool { waveEnds.count > 1 }

    enum CodingKeys: String, CodingKey {
        case concurrency, rate, maxAttempts, timeoutSeconds, canary, waves, maxFailures, bakeSeconds, gate,
            gateTimeoutSeconds
        case rollbackOnHalt, force
    }

    /// Options recorded by an older fleet lack the newer keys: they keep their defaults. A key
    /// with a value of the wrong type is an error, not a silent default.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ExecutionOptions()
        concurrency = try container.decodeIfPresent(Int.self, forKey: .concurrency) ?? defaults.concurrency
        rate = try container.decodeIfPresent(Double.self, forKey: .rate) ?? defaults.rate
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? defaults.maxAttempts
        timeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? defaults.timeoutSeconds
        canary = try container.decodeIfPresent(Int.self, forKey: .canary)
        waves = try container.decodeIfPresent([WaveEnd].self, forKey: .waves)
        maxFailures = try container.decodeIfPresent(FailureLimit.self, forKey: .maxFailures)
        bakeSeconds = try container.decodeIfPresent(Double.self, forKey: .bakeSeconds)
        gate = try container.decodeIfPresent(String.self, forKey: .gate)
        gateTimeoutSeconds =
            try container.decodeIfPresent(Double.self, forKey: .gateTimeoutSeconds) ?? defaults.gateTimeoutSeconds
        rollbackOnHalt = try container.decodeIfPresent(Bool.self, forKey: .rollbackOnHalt) ?? false
        force = try container.decodeIfPresent(Bool.self, forKey: .force) ?? false
    }

    /// `concurrency 16, rate ≤ 50/s per space, 5 attempts, timeout 30 s`, and the staging.
    package var summary: String {
        var parts = [
            "concurrency \(concurrency)", "rate ≤ \(Self.number(rate))/s per space", "\(maxAttempts) attempts",
            "timeout \(Self.number(timeoutSeconds)) s",
        ]
        if isStaged { parts.append("waves " + waveEnds.map(\.description).joined(separator: ",")) }
        if let maxFailures { parts.append("max failures \(maxFailures)") }
        if let bakeSeconds { parts.append("bake \(BakeDuration.text(bakeSeconds))") }
        if gate != nil { parts.append("gate") }
        if rollbackOnHalt { parts.append("rollback on halt") }
        if force { parts.append("force") }
        return parts.joined(separator: ", ")
    }

    package static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? "\(Int64(value))" : "\(value)"
    }
}

/// `--bake` durations: `30s`, `10m`, `1h`, or plain seconds.
package enum BakeDuration {
    package static func parse(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var unit = 1.0
        if let last = number.last, let factor = units[last] {
            unit = factor
            number = number.dropLast()
        }
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        let seconds = value * unit
        return seconds <= 7 * 24 * 3600 ? seconds : nil
    }

    package static func text(_ seconds: Double) -> String {
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        return "\(ExecutionOptions.number(seconds))s"
    }
}
