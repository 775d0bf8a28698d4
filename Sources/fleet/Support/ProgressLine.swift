import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// The progress line on stderr: on a terminal, redrawn in place, fitted to the terminal's width,
/// with failures in red (unless NO_COLOR); otherwise a plain line every 5 s.
enum ProgressLine {
    static func run(
        _ progress: RunProgress, label: String, context: CommandContext,
        until done: @escaping @Sendable () async -> Void
    ) async {
        let console = context.console
        let terminal = console.stderrIsTerminal
        let interval: Duration = terminal ? .milliseconds(250) : .seconds(5)
        let start = context.clock.now()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await done() }
            group.addTask { [clock = context.clock] in
                while !Task.isCancelled {
                    try? await clock.sleep(for: interval)
                    var counts = progress.snapshot
                    counts.stopping = context.stop.isRequested
                    if Task.isCancelled { break }
                    guard counts.total > 0 else { continue }
                    let line = render(
                        counts, label: label, elapsed: clock.now() - start, width: terminal ? console.columns() : nil,
                        color: console.color)
                    if terminal { console.errRaw("\r\u{1B}[K" + line) } else { console.err(line) }
                }
                if terminal { console.errRaw("\r\u{1B}[K") }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The parts of the line in their order; when they do not fit the width, the least
    /// important go first (the spaces' names, then the rate), the counts and the ETA last.
    static func render(_ counts: RunProgress.Counts, label: String, elapsed: Duration, width: Int?, color: Bool)
        -> String
    {
        let limit = (width ?? .max) - 1
        var parts = parts(counts, label: label, seconds: elapsed.seconds, names: true)
        func length() -> Int { parts.map(\.text.count).reduce(0, +) + 3 * (parts.count - 1) }
        if length() > limit { parts = self.parts(counts, label: label, seconds: elapsed.seconds, names: false) }
        while parts.count > 1 && length() > limit,
            let least = parts.indices.max(by: { parts[$0].rank < parts[$1].rank })
        {
            parts.remove(at: least)
        }
        let plain = parts.map(\.text).joined(separator: " · ")
        guard plain.count <= limit else { return String(plain.prefix(max(0, limit))) }
        return parts.map { color && $0.red ? "\u{1B}[31m\($0.text)\u{1B}[0m" : $0.text }.joined(separator: " · ")
    }

    /// Each part with its rank: 0 is kept longest.
    private static func parts(_ counts: RunProgress.Counts, label: String, seconds: Double, names: Bool)
        -> [(text: String, red: Bool, rank: Int)]
    {
        var parts: [(text: String, red: Bool, rank: Int)] = [("\(label) \(counts.done)/\(counts.total)", false, 0)]
        if counts.failed > 0 { parts.append(("\(counts.failed) failed", true, 1)) }
        parts.append(("\(counts.succeeded) ok", false, 2))
        if counts.unchanged > 0 { parts.append(("\(counts.unchanged) unchanged", false, 5)) }
        if counts.retrying > 0 { parts.append(("\(counts.retrying) retrying", false, 6)) }
        if counts.wave > 0 { parts.append(("wave \(counts.wave)/\(counts.waves)", false, 4)) }
        if let until = counts.bakingUntil { parts.append(("baking until \(clockTime(until))", false, 4)) }
        if let until = counts.waitingUntil {
            parts.append(("waiting for the change window until \(clockTime(until))", false, 4))
        }
        if counts.gating { parts.append(("gate running", false, 4)) }
        parts += spaces(counts.pausedSpaces, names ? counts.pausedNames : [], "paused (429)", red: false)
        parts += spaces(counts.stoppedSpaces, names ? counts.stoppedNames : [], "unreachable", red: true)
        if seconds > 0 { parts.append((String(format: "%.0f req/s", Double(counts.requests) / seconds), false, 7)) }
        if counts.stopping {
            parts.append(("stopping: draining \(counts.inFlight) in flight", false, 0))
        } else if counts.done > 0 && counts.done < counts.total {
            let eta = Double(counts.total - counts.done) * seconds / Double(counts.done)
            parts.append(("ETA " + StatusReport.duration(eta), false, 3))
        }
        return parts
    }

    /// `2 spaces paused (429): cust07, cust12`, or without the names when the line is narrow.
    private static func spaces(_ count: Int, _ names: [String], _ what: String, red: Bool)
        -> [(text: String, red: Bool, rank: Int)]
    {
        guard count > 0 else { return [] }
        let counted = "\(count) \(count == 1 ? "space" : "spaces") \(what)"
        guard !names.isEmpty else { return [(counted, red, 4)] }
        let shown = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : "")
        return [(counted + ": " + shown, red, 4)]
    }

    private static func clockTime(_ date: Date) -> String {
        String(FleetDatabase.timestamp(date).dropFirst(11).prefix(8))
    }
}
