import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// What rollout, retry and rollback share on the console: the pre-flight line and confirmation,
/// Ctrl-C and the progress line while they execute, and the report and exit status at the end.
enum RunConsole {
    /// Confirms, executes with Ctrl-C handling and the progress line, and reports: rollout,
    /// retry and rollback once their run is prepared.
    static func run(
        _ prepared: PreparedRun, session: FleetSession, flags: ExecutionFlags, label: String, resume: String,
        database: DatabaseOption, context: CommandContext
    ) async throws -> ExitStatus {
        var changed = prepared
        changed.change = try flags.changeRecord(context)
        let prepared = changed
        try session.checkCommands(prepared)
        try confirm(prepared.preflight, change: prepared.change, yes: flags.yes, context: context)
        let hint = database.hint(context)
        let outcome = try await withProgress(
            session, context: context, quiet: flags.quiet, label: label, resumeHint: hint(resume)
        ) {
            try await session.execute(prepared)
        }
        return try report(outcome, database: session.database, context: context, hint: hint, json: flags.json)
    }

    /// Says what is about to happen; on a terminal asks to go on unless `yes`. Without a terminal
    /// it refuses unless `yes`: a script says what it means (as terraform's `-auto-approve`).
    static func confirm(_ preflight: Preflight, change: ChangeRecord, yes: Bool, context: CommandContext) throws {
        if !preflight.skipped.isEmpty {
            context.console.err(
                "fleet: skipping \(preflight.skipped.count) \(preflight.skipped.count == 1 ? "project" : "projects") disabled since the run: "
                    + preflight.skipped.prefix(5).map(\.heading).joined(separator: ", ")
                    + (preflight.skipped.count > 5 ? ", …" : ""))
        }
        context.console.err("fleet: \(preflight.line)\(Self.changeText(change))")
        if yes { return }
        guard context.console.interactive else {
            throw FleetError.usage(
                "nothing was sent and nothing recorded: there is no terminal to confirm on; add --yes to go on without asking."
            )
        }
        context.console.errRaw("Go on? [y/N] ")
        let answer = context.console.answer()?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else {
            throw FleetError(
                "nothing was sent and nothing recorded (not confirmed); add --yes to go on without asking.",
                status: .failure)
        }
    }

    /// `; change CHG-2291, window 02:00 +00:00 to 04:00 +00:00`, for the preflight line.
    static func changeText(_ change: ChangeRecord) -> String {
        var parts: [String] = []
        if let id = change.change { parts.append("change \(id.escapingControlCharacters)") }
        switch (change.notBefore, change.notAfter) {
        case (let start?, let end?): parts.append("window \(WallTime.text(start)) to \(WallTime.text(end))")
        case (let start?, nil): parts.append("not before \(WallTime.text(start))")
        case (nil, let end?): parts.append("not after \(WallTime.text(end))")
        case (nil, nil): break
        }
        if change.notify != nil { parts.append("notify") }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: ", ")
    }

    /// Runs `body` with Ctrl-C handling and the progress line.
    static func withProgress<T: Sendable>(
        _ session: FleetSession, context: CommandContext, quiet: Bool, label: String, resumeHint: String,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let interrupts =
            context.handlesSignals
            ? InterruptHandler(stop: session.stop, console: context.console, resumeHint: resumeHint) : nil
        defer { interrupts?.cancel() }
        let outcome = Outcome<T>()
        let work: @Sendable () async -> Void = {
            do { outcome.set(.success(try await body())) } catch { outcome.set(.failure(error)) }
        }
        if quiet {
            await work()
        } else {
            await ProgressLine.run(session.progress, label: label, context: context, until: work)
        }
        return try outcome.get()
    }

    /// Prints the run's report (and its rollback's), says how to go on, and gives the exit status.
    static func report(
        _ outcome: RunOutcome, database: FleetDatabase, context: CommandContext, hint: CommandHint, json: Bool
    ) throws -> ExitStatus {
        let clean = try report(
            runID: outcome.runID, end: outcome.end, rolledBackBy: outcome.rollback?.runID, database: database,
            context: context,
            hint: hint, json: json)
        if let rollback = outcome.rollback {
            if !json { context.console.out("") }
            _ = try report(
                runID: rollback.runID, end: rollback.end, rolledBackBy: nil, database: database, context: context,
                hint: hint, json: json)
        }
        return clean ? .success : .failure
    }

    private static func report(
        runID: Int64, end: ExecutionEnd, rolledBackBy: Int64?, database: FleetDatabase, context: CommandContext,
        hint: CommandHint, json: Bool
    ) throws -> Bool {
        let report = try StatusReport.load(try database.requireRun(runID), from: database, now: context.clock.date())
        if json {
            context.console.out(try report.json(from: database))
        } else {
            context.console.out(report.text(hint: hint))
            context.console.out("\ndetails: \(hint("status \(runID)"))")
        }
        switch end {
        case .interrupted:
            context.console.err(
                "fleet: run \(runID) was interrupted; \(report.counts.pending) projects were left pending. Finish it with `\(hint("retry \(runID)"))`."
            )
        case .halted(let reason) where rolledBackBy != nil:
            context.console.err(
                "fleet: run \(runID) halted by \(reason.escapingControlCharacters); run \(rolledBackBy!) rolled back the projects it changed (`\(hint("status \(rolledBackBy!)"))`). To go on, start a new rollout."
            )
        case .halted(let reason):
            context.console.err(
                "fleet: run \(runID) halted by \(reason.escapingControlCharacters); \(report.counts.pending) projects were left pending. Check the report, then `\(hint("retry \(runID)"))`."
            )
        case .finished:
            break
        }
        return end == .finished && report.counts.allGood
    }

    private final class Outcome<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Result<T, any Error>?
        func set(_ value: Result<T, any Error>) { lock.withLock { stored = value } }
        func get() throws -> T { try lock.withLock { stored! }.get() }
    }
}
