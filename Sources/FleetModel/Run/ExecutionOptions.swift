import Foundation

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
    package var summary: String { summary(total: nil) }

    /// The summary for a run of `total` tasks: a wave list that stops short of them says that
    /// fleet adds the last wave (`waves 10,50%,100% (the last, 100%, added)`).
    package func summary(total: Int?) -> String {
        var parts = [
            "concurrency \(concurrency)", "rate ≤ \(Self.number(rate))/s per space", "\(maxAttempts) attempts",
            "timeout \(Self.number(timeoutSeconds)) s",
        ]
        if isStaged {
            var waves = "waves " + waveEnds.map(\.description).joined(separator: ",")
            if let total, let last = waveEnds.last, WaveEnd.positions([last], total: total) != [total] {
                waves += ",100% (the last, 100%, added)"
            }
            parts.append(waves)
        }
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
