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
                    let counts = progress.snapshot
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

    /// The parts of the line, most important first; those that do not fit the width are left out.
    static func render(_ counts: RunProgress.Counts, label: String, elapsed: Duration, width: Int?, color: Bool)
        -> String
    {
        let seconds = elapsed.seconds
        var parts: [(text: String, red: Bool)] = [("\(label) \(counts.done)/\(counts.total)", false)]
        if counts.failed > 0 { parts.append(("\(counts.failed) failed", true)) }
        parts.append(("\(counts.succeeded) ok", false))
        if counts.unchanged > 0 { parts.append(("\(counts.unchanged) unchanged", false)) }
        if counts.retrying > 0 { parts.append(("\(counts.retrying) retrying", false)) }
        if counts.wave > 0 { parts.append(("wave \(counts.wave)/\(counts.waves)", false)) }
        if let until = counts.bakingUntil { parts.append(("baking until \(clockTime(until))", false)) }
        if counts.gating { parts.append(("gate running", false)) }
        if counts.pausedSpaces > 0 {
            parts.append(
                ("\(counts.pausedSpaces) \(counts.pausedSpaces == 1 ? "space" : "spaces") paused (429)", false))
        }
        if counts.stoppedSpaces > 0 {
            parts.append(
                ("\(counts.stoppedSpaces) \(counts.stoppedSpaces == 1 ? "space" : "spaces") unreachable", true))
        }
        if seconds > 0 { parts.append((String(format: "%.0f req/s", Double(counts.requests) / seconds), false)) }
        if counts.done > 0 && counts.done < counts.total {
            parts.append(
                (
                    "ETA " + StatusReport.duration(Double(counts.total - counts.done) * seconds / Double(counts.done)),
                    false
                ))
        }
        let limit = (width ?? .max) - 1
        while parts.count > 1 && parts.map(\.text.count).reduce(0, +) + 3 * (parts.count - 1) > limit {
            parts.removeLast()
        }
        let plain = parts.map(\.text).joined(separator: " · ")
        guard plain.count <= limit else { return String(plain.prefix(max(0, limit))) }
        return parts.map { color && $0.red ? "\u{1B}[31m\($0.text)\u{1B}[0m" : $0.text }.joined(separator: " · ")
    }

    private static func clockTime(_ date: Date) -> String {
        String(FleetDatabase.timestamp(date).dropFirst(11).prefix(8))
    }
}
