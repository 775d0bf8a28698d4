import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// The simulator's faults (`fleet simulate --help`, the README's "The simulator"), each a
/// probability or a number. Every random choice is a hash of the seed, the project and its
/// request number, so a seed gives the same faults to the same requests whatever order
/// concurrent clients send them in.
package struct SimulatorConfiguration: Sendable {
    /// Added to every answer.
    package var latency: Duration = .zero
    /// Share of requests answered 500.
    package var failRate: Double = 0
    /// Requests per second per space past which the answer is 429 with Retry-After.
    package var rateLimit: Int?
    /// The spaces `rateLimit` applies to; empty: every space.
    package var rateLimitedSpaces: Set<String> = []
    /// SignalWire-like write limit: at most `count` PUTs per `window` per space (a sliding window);
    /// past it, 429 `rate_limit_exceeded`, with Retry-After unless `retryAfter` is false.
    package var writeLimit: (count: Int, window: Duration)?
    package var retryAfter = true
    /// Share of requests whose connection is closed without an answer (a PUT is applied first).
    package var dropRate: Double = 0
    /// Share of applied PUTs whose connection is closed before the answer: the write landed, the
    /// client cannot tell.
    package var dropWriteRate: Double = 0
    /// Share of requests answered only after `slowDelay` (longer than a client's timeout).
    package var slowRate: Double = 0
    package var slowDelay: Duration = .seconds(35)
    /// Each project's first K requests are answered 503.
    package var failFirst: Int = 0
    /// Project ids whose credentials are always refused.
    package var revoked: Set<String> = []
    package var seed: UInt64 = 1

    package init() {}

    /// Parses `--write-limit N/S`: N writes per S seconds.
    package static func writeLimit(_ text: String) -> (count: Int, window: Duration)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), count >= 1, let seconds = Double(parts[1]), seconds.isFinite,
            seconds > 0, seconds <= 3600
        else {
            return nil
        }
        return (count, .milliseconds(Int64(seconds * 1000)))
    }

    /// Reads `--revoked FILE`: one project id per line (a CSV with a project_id column also works).
    package static func revokedProjects(path: String) throws -> Set<String> {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw FleetError("cannot read the revoked-projects file \(path).", status: .usage)
        }
        var ids: Set<String> = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let candidates = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if let id = candidates.compactMap({ UUID(uuidString: $0) }).first {
                ids.insert(id.uuidString.lowercased())
            } else if number > 0 || !line.contains("project_id") {
                throw FleetError("\(path):\(number + 1): no project id (a UUID) on this line.", status: .usage)
            }
        }
        return ids
    }
}
