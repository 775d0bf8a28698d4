import ArgumentParser
import FleetCore
import Foundation

/// Where commands print: results to stdout, progress and errors to stderr.
enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Runs a command's body; a `FleetError` becomes its lines on stderr and its exit status.
    static func perform(_ body: () async throws -> ExitStatus) async throws {
        let status: ExitStatus
        do {
            status = try await body()
        } catch let error as FleetError {
            for line in error.details { err(line) }
            err("fleet: " + error.message)
            status = error.status
        } catch let error as ExitCode {
            throw error
        } catch is CancellationError {
            err("fleet: cancelled.")
            status = .failure
        } catch {
            err("fleet: internal error: \(error). Please report it.")
            status = .internalError
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

/// Ctrl-C once: stop starting tasks and let requests in flight finish; twice: cancel them too.
final class InterruptHandler: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(stop: StopSignal, resumeHint: @escaping @Sendable () -> String) {
        let count = Counter()
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if count.increment() == 1 {
                    Console.err("\nfleet: stopping: no new tasks start; requests in flight finish. Press Ctrl-C again to cancel them too.")
                    stop.request()
                } else {
                    Console.err("\nfleet: cancelling requests in flight. \(resumeHint())")
                    stop.cancelInFlight()
                }
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() -> Int { lock.withLock { value += 1; return value } }
    }
}

/// The progress line on stderr: redrawn in place on a terminal, a plain line every few seconds otherwise.
enum ProgressPrinter {
    static func run(_ progress: RunProgress, label: String, until done: @escaping @Sendable () async -> Void) async {
        let terminal = Console.stderrIsTerminal
        let interval: Duration = terminal ? .milliseconds(250) : .seconds(5)
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await done() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { break }
                    let line = render(progress.snapshot, label: label, elapsed: ContinuousClock.now - start)
                    if terminal {
                        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
                    } else {
                        Console.err(line)
                    }
                }
                if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    static func render(_ counts: RunProgress.Counts, label: String, elapsed: Duration) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(counts.requests) / seconds : 0
        let perTask = counts.done > 0 ? seconds / Double(counts.done) : 0
        let remaining = Double(counts.total - counts.done) * perTask
        let eta = counts.done > 0 ? String(format: "ETA %.0f s", remaining) : "ETA –"
        return "\(label) \(counts.done)/\(counts.total): \(counts.succeeded) succeeded, \(counts.unchanged) unchanged, \(counts.failed) failed, \(counts.retrying) retrying · "
            + String(format: "%.0f req/s · ", rate) + eta
    }
}

extension FleetSession {
    /// A session for a command: the live clock, the operator's Ctrl-C, the vault from FLEET_KEY.
    static func live(_ global: GlobalOptions) throws -> FleetSession {
        let apiBase = try global.resolvedAPIBase()
        let vault = try TokenVault.fromEnvironment()
        return FleetSession(database: try global.openDatabase(), apiBase: apiBase, vault: vault)
    }
}

/// What rollout, retry and rollback print when an execution ends, and their exit status.
enum RunEnding {
    static func report(runID: Int64, end: ExecutionEnd, session: FleetSession, global: GlobalOptions, json: Bool) throws -> ExitStatus {
        guard let run = try session.database.run(runID) else { throw FleetError.internal("run \(runID) vanished.") }
        let report = try StatusReport.load(run, from: session.database)
        if json {
            Console.out(report.json())
        } else {
            Console.out(report.text(rerun: global.commandPrefix))
            Console.out("\ndetails: \(global.commandPrefix) status \(runID)")
        }
        switch end {
        case .interrupted:
            Console.err("fleet: run \(runID) was interrupted; \(report.counts.pending) projects were left pending. Finish it with `\(global.commandPrefix) retry \(runID)`.")
        case .halted(let reason):
            Console.err("fleet: run \(runID) halted by \(reason); \(report.counts.pending) projects were left pending. Check the failures, then `\(global.commandPrefix) retry \(runID)`.")
        case .finished:
            break
        }
        let clean = end == .finished && report.counts.succeeded + report.counts.unchanged == report.counts.total
        return clean ? .success : .failure
    }

    /// Runs `body` with Ctrl-C handling and the progress line.
    static func execute<T: Sendable>(session: FleetSession, global: GlobalOptions, quiet: Bool, label: String,
                                     _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let interrupts = InterruptHandler(stop: session.stop) { "Finish later with `\(global.commandPrefix) retry`." }
        defer { interrupts.cancel() }
        let outcome = Box<Result<T, any Error>>()
        let work: @Sendable () async -> Void = {
            do { outcome.value = .success(try await body()) } catch { outcome.value = .failure(error) }
        }
        if quiet {
            await work()
        } else {
            await ProgressPrinter.run(session.progress, label: label, until: work)
        }
        return try outcome.value!.get()
    }

    final class Box<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Value?
        var value: Value? {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }
}
